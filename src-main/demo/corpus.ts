// The demo corpus: one multimodal document per image (the image plus its caption's tokens) and
// short text-only sentences about colours, shapes and animals, so that shared features have text
// firings as well as image ones. Pure: the documents reach the project through the activations
// importer, like any imported corpus.
import { hashSeed, mulberry32, randomIndex, type Rng } from '../util/random';
import { COLOURS, SHAPES, type DemoImage } from './images';

export const TEXT_DOCUMENT_COUNT = 40;

export interface DemoDocument {
  /** The document's id in the activations sidecar (documents.external_id once imported). */
  externalId: string;
  kind: 'text' | 'multimodal';
  text: string;
  tokens: string[];
  image: DemoImage | null;
}

/**
 * GPT-2-style pre-tokenisation: words keep their leading space, punctuation runs are their own
 * tokens. Real BPE would split rare words further; whole words keep the demo's activations legible.
 */
export function tokenize(text: string): string[] {
  return text.match(/ ?[A-Za-z]+| ?\d+| ?[^\sA-Za-z\d]+|\s+/g) ?? [];
}

/** The lower-case letters of a token: " Red," -> "red". What the toy text features match on. */
export const wordOf = (token: string): string =>
  token
    .trim()
    .toLowerCase()
    .replace(/[^a-z]/g, '');

export const ANIMALS = ['cat', 'dog', 'fox', 'bird', 'fish', 'horse', 'frog', 'duck', 'rabbit', 'owl'] as const;
const NUMBERS = ['two', 'three', 'four', 'five', 'six', 'seven'] as const;
const VERBS = ['sleeping', 'running', 'hiding', 'sitting', 'playing', 'waiting', 'jumping', 'resting'] as const;
const THINGS = ['balloon', 'kite', 'umbrella', 'door', 'scarf', 'car', 'boat', 'flag'] as const;

const an = (word: string) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
const plural = (noun: string) => (noun.endsWith('sh') || noun.endsWith('x') ? `${noun}es` : `${noun}s`);

// Frames never start with a colour word, so a colour always tokenises with its leading space.
const FRAMES: ((pick: <T>(list: readonly T[]) => T) => string)[] = [
  (p) => `The ${p(COLOURS)} ${p(ANIMALS)} is ${p(VERBS)} next to ${p(NUMBERS)} ${plural(p(SHAPES))}.`,
  (p) => `My neighbour painted ${p(NUMBERS)} ${p(COLOURS)} ${plural(p(SHAPES))} on the garden wall.`,
  (p) => `Two ${plural(p(ANIMALS))} were ${p(VERBS)} under ${an(p(COLOURS))} ${p(THINGS)}.`,
  (p) => `She drew a ${p(SHAPES)} around the ${p(COLOURS)} ${p(ANIMALS)}.`,
  (p) => `Children love ${p(COLOURS)} ${plural(p(THINGS))} and ${plural(p(ANIMALS))}.`,
  (p) => `In the picture, ${an(p(ANIMALS))} is ${p(VERBS)} beside ${an(p(COLOURS))} ${p(SHAPES)}.`,
  (p) => `We counted ${p(NUMBERS)} ${plural(p(ANIMALS))} and one ${p(COLOURS)} ${p(THINGS)}.`,
  (p) => `Our old dog sleeps on ${an(p(COLOURS))} blanket with ${p(NUMBERS)} ${plural(p(SHAPES))} on it.`,
  (p) => `Please cut out ${an(p(COLOURS))} ${p(SHAPES)} and ${an(p(COLOURS))} ${p(SHAPES)}.`,
];

export function writeTextSentences(count = TEXT_DOCUMENT_COUNT): string[] {
  const rng: Rng = mulberry32(hashSeed('sightline-demo', 'sentences'));
  const pick = <T>(list: readonly T[]): T => list[randomIndex(list.length, rng)];
  // Cycle through the frames so every kind of sentence appears; the words are drawn from the seed.
  return Array.from({ length: count }, (_, i) => FRAMES[i % FRAMES.length](pick));
}

/** The corpus's documents, in order: one per image (image + caption tokens), then the sentences. */
export function buildDocuments(images: DemoImage[]): DemoDocument[] {
  const documents: DemoDocument[] = images.map((image, index) => ({
    externalId: `image-${String(index).padStart(2, '0')}`,
    kind: 'multimodal',
    text: image.caption,
    tokens: tokenize(image.caption),
    image,
  }));
  writeTextSentences().forEach((text, index) => {
    documents.push({
      externalId: `text-${String(index).padStart(2, '0')}`,
      kind: 'text',
      text,
      tokens: tokenize(text),
      image: null,
    });
  });
  return documents;
}
