// Plausible steered answers. In the paper's sweep (k from 0 to 30 along a unit-norm class
// direction at layer 20), answers stay on the source class at small k, blend the two classes in
// the middle, name the target around k≈20, and degenerate into repeated target words at the top.
// These strings imitate that curve; they are not model output.
import { randomIndex, type Rng } from '../util/random';

export interface ClassProfile {
  name: string;
  /** "a goldfish", "an orange tabby" ... */
  withArticle: string;
  details: [string, string];
  /** How the target class leaks into a description of the source before it takes over. */
  hint: string;
  /** Words the model repeats when the steer is too strong. */
  words: string[];
}

export const CLASS_PROFILES: Record<string, ClassProfile> = {
  goldfish: {
    name: 'goldfish',
    withArticle: 'a goldfish',
    details: [
      'It is swimming in clear blue water, with bright orange scales and a fan-shaped tail.',
      'A small orange fish with a dark eye floats in a blue tank.',
    ],
    hint: 'with something orange and fish-like floating in water',
    words: ['goldfish', 'fish', 'orange', 'water', 'fins', 'aquarium'],
  },
  'tabby cat': {
    name: 'tabby cat',
    withArticle: 'a tabby cat',
    details: [
      'It has grey fur with darker stripes across its forehead, pointed ears and green eyes.',
      'The striped cat looks straight at the camera with its ears up.',
    ],
    hint: 'with pointed ears and striped grey fur like a cat',
    words: ['cat', 'tabby', 'whiskers', 'stripes', 'meow', 'fur'],
  },
  'school bus': {
    name: 'school bus',
    withArticle: 'a school bus',
    details: [
      'A long yellow bus with a row of dark windows is parked on a grey road.',
      'The yellow vehicle has black wheels and a stripe along its side.',
    ],
    hint: 'painted bright yellow like a bus, with a row of windows',
    words: ['bus', 'school', 'yellow', 'wheels', 'windows', 'road'],
  },
  strawberry: {
    name: 'strawberry',
    withArticle: 'a strawberry',
    details: [
      'It is a ripe red berry covered in small yellow seeds, with green leaves on top.',
      'The fruit is bright red and shaped like a heart, with a green stem.',
    ],
    hint: 'red and speckled with small seeds like a berry',
    words: ['strawberry', 'berry', 'red', 'seeds', 'sweet', 'fruit'],
  },
  volcano: {
    name: 'volcano',
    withArticle: 'a volcano',
    details: [
      'A brown cone-shaped mountain glows orange at its crater, with grey smoke rising into the sky.',
      'Lava runs down the side of the mountain under an orange sky.',
    ],
    hint: 'glowing orange at the top as if it were erupting',
    words: ['volcano', 'lava', 'eruption', 'smoke', 'crater', 'magma'],
  },
  'golden retriever': {
    name: 'golden retriever',
    withArticle: 'a golden retriever',
    details: [
      'The dog has a golden coat, floppy brown ears and a black nose, sitting on green grass.',
      'A friendly golden dog looks up at the camera on a sunny day.',
    ],
    hint: 'with a golden coat and floppy ears like a dog',
    words: ['dog', 'retriever', 'golden', 'puppy', 'fetch', 'ears'],
  },
  lemon: { name: 'lemon', withArticle: 'a lemon', details: ['', ''], hint: '', words: [] },
  lighthouse: { name: 'lighthouse', withArticle: 'a lighthouse', details: ['', ''], hint: '', words: [] },
  'monarch butterfly': {
    name: 'monarch butterfly',
    withArticle: 'a monarch butterfly',
    details: ['', ''],
    hint: '',
    words: [],
  },
  teapot: { name: 'teapot', withArticle: 'a teapot', details: ['', ''], hint: '', words: [] },
};

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function repeatWords(profile: ClassProfile, count: number, rng: Rng): string {
  return Array.from({ length: count }, () => profile.words[randomIndex(profile.words.length, rng)]).join(' ');
}

/**
 * The answer at strength k (a multiple of 5 from 0 to 30). `injection`, when given, is spliced
 * into the text verbatim: the demo uses it to carry markup that must always render as text.
 */
export function steeredAnswer(
  source: ClassProfile,
  target: ClassProfile,
  k: number,
  rng: Rng,
  injection?: string,
): string {
  const pick = <T>(options: T[]) => options[randomIndex(options.length, rng)];
  let answer: string;
  switch (k) {
    case 0:
      answer = `The image shows ${source.withArticle}. ${source.details[0]}`;
      break;
    case 5:
      answer = `${pick(['This is', 'The picture shows'])} ${source.withArticle}. ${source.details[1]}`;
      break;
    case 10:
      answer = `The image shows ${source.withArticle}, ${target.hint}. ${source.details[0]}`;
      break;
    case 15:
      answer = `It looks like ${source.withArticle}, or perhaps ${target.withArticle}. ${target.details[1]}`;
      break;
    case 20:
      answer = `The image shows ${target.withArticle}. ${target.details[0]}`;
      break;
    case 25:
      answer = `${capitalise(target.withArticle)}. ${capitalise(target.withArticle)} ${target.name} with ${repeatWords(target, 4, rng)}, ${target.name}, ${target.name}.`;
      break;
    default:
      answer = `${target.name} ${repeatWords(target, 10, rng)} ${target.name} ${repeatWords(target, 8, rng)}`;
  }
  if (injection) {
    const words = answer.split(' ');
    const at = Math.max(1, Math.floor(words.length / 2));
    answer = [...words.slice(0, at), injection, ...words.slice(at)].join(' ');
  }
  return answer;
}
