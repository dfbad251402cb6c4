// The concepts planted in the demo's synthetic activations. Each concept says how much an image
// patch (`pixel`: a per-pixel score averaged over the patch, or `patch`: a position score) and/or a
// text token (`token`) shows it, in [0, 1]. The activation generator adds `match × scale` times the
// concept's direction to that row; mining then has to find the concept again through the SAE. Nothing
// here says which feature fires where: that is recovered by the real pipeline.
import { ANIMALS, wordOf } from './corpus';
import { COLOURS, IMAGE_SIZE, SHAPES, type Colour, type DemoImage, type Shape, type Texture } from './images';

export interface Concept {
  key: string;
  /** What was planted: the ground truth a rater's label can be scored against. */
  planted: string;
  /** Weight of the concept's direction at a full match, before jitter. */
  scale: number;
  pixel?: (image: DemoImage, pixelIndex: number) => number;
  patch?: (row: number, col: number) => number;
  token?: (tokens: string[], position: number) => number;
  /**
   * For concepts seen in both modalities: the first layer at which image patches and text tokens
   * carry it along ONE direction. Below it the model keeps two directions, one per modality, so
   * the SAE has an image-only and a text-only feature for it ("Line of Sight": sharing grows with depth).
   */
  sharedFrom?: number;
  /** Abstract concepts exist only from this layer on. */
  from?: number;
  /** Labels stored after mining; null leaves the feature for raters to name. */
  label: string | null;
  /** Labels of the per-modality features below `sharedFrom`. */
  imageLabel?: string | null;
  textLabel?: string | null;
}

export const readsImages = (concept: Concept): boolean => concept.pixel !== undefined || concept.patch !== undefined;
export const readsText = (concept: Concept): boolean => concept.token !== undefined;

const colourIs = (colour: Colour) => (image: DemoImage, i: number) =>
  image.labels.colour[i] === COLOURS.indexOf(colour) + 1 ? 1 : 0;
const colourIn = (colours: readonly Colour[]) => (image: DemoImage, i: number) =>
  image.labels.colour[i] > 0 && colours.includes(COLOURS[image.labels.colour[i] - 1]) ? 1 : 0;
const shapeIs = (shape: Shape) => (image: DemoImage, i: number) =>
  image.labels.shape[i] === SHAPES.indexOf(shape) + 1 ? 1 : 0;
const backgroundIs = (texture: Texture) => (image: DemoImage, i: number) =>
  image.labels.object[i] === 0 && image.concepts.texture === texture ? 1 : 0;
const wordIn =
  (...words: string[]) =>
  (tokens: string[], position: number) =>
    words.includes(wordOf(tokens[position])) ? 1 : 0;
const withPlurals = (nouns: readonly string[]) =>
  nouns.flatMap((noun) => [noun, /(sh|x)$/.test(noun) ? `${noun}es` : `${noun}s`]);

/** A pixel on the edge of an object: a 4-neighbour belongs to something else (or lies off the image). */
function onOutline(image: DemoImage, i: number): number {
  const object = image.labels.object[i];
  if (object === 0) return 0;
  const x = i % IMAGE_SIZE;
  const y = Math.floor(i / IMAGE_SIZE);
  const neighbours: [number, number][] = [
    [x - 1, y],
    [x + 1, y],
    [x, y - 1],
    [x, y + 1],
  ];
  return neighbours.some(
    ([nx, ny]) =>
      nx < 0 || ny < 0 || nx >= IMAGE_SIZE || ny >= IMAGE_SIZE || image.labels.object[ny * IMAGE_SIZE + nx] !== object,
  )
    ? 1
    : 0;
}

function isDark(image: DemoImage, i: number): number {
  const luminance = 0.2126 * image.rgb[i * 3] + 0.7152 * image.rgb[i * 3 + 1] + 0.0722 * image.rgb[i * 3 + 2];
  return luminance < 90 ? 1 : 0;
}

const PLURAL_EXCEPTIONS = new Set(['was', 'has', 'this', 'its', 'is', 'us', 'yes']);

const colour = (name: Colour, scale: number, sharedFrom: number, labelled: boolean): Concept => ({
  key: name,
  planted: `${name}: ${name} pixels and the word "${name}"`,
  scale,
  pixel: colourIs(name),
  token: wordIn(name),
  sharedFrom,
  label: labelled ? `${name} things` : null,
  imageLabel: labelled ? `${name} pixels` : null,
  textLabel: labelled ? `the word "${name}"` : null,
});

const shape = (name: Shape, scale: number, sharedFrom: number, labelled: boolean): Concept => ({
  key: name,
  planted: `${name}: pixels inside ${name}s and the word "${name}(s)"`,
  scale,
  pixel: shapeIs(name),
  token: wordIn(name, `${name}s`),
  sharedFrom,
  label: labelled ? `${name}s` : null,
  imageLabel: labelled ? `inside ${name}s` : null,
  textLabel: labelled ? `the word "${name}"` : null,
});

const texture = (name: Texture, words: string[], scale: number, sharedFrom: number, label: string | null): Concept => ({
  key: name,
  planted: `${name} background and the words ${words.map((w) => `"${w}"`).join(', ')}`,
  scale,
  pixel: backgroundIs(name),
  token: wordIn(...words),
  sharedFrom,
  label,
  imageLabel: label ? `${label} (image)` : null,
  textLabel: label ? `the word "${words[0]}"` : null,
});

/**
 * Every planted concept. Cross-modal ones merge into a shared direction at `sharedFrom`:
 * one by layer 5, four by 10, eight by 15, all fourteen by 20.
 */
export const CONCEPTS: Concept[] = [
  colour('red', 6, 15, true),
  colour('green', 5.5, 10, true),
  colour('blue', 6.5, 10, false),
  colour('yellow', 5, 20, true),
  colour('purple', 4.5, 20, false),
  colour('orange', 5.8, 15, false),
  shape('circle', 7, 5, true),
  shape('square', 6, 15, false),
  shape('triangle', 6.4, 20, true),
  texture('stripes', ['striped', 'stripes'], 4.2, 10, 'striped backgrounds'),
  texture('dots', ['dotted', 'dots'], 3.8, 20, null),
  texture('checker', ['checkered'], 4, 15, null),
  texture('noise', ['noisy', 'noise'], 3.5, 20, 'visual noise / grain'),
  texture('gradient', ['gradient'], 3, 20, null),

  // Image only, at every layer.
  {
    key: 'top-left',
    planted: 'top-left corner patches (position only)',
    label: 'top-left corner',
    scale: 5,
    patch: (r, c) => (r < 3 && c < 3 ? 1 - (r + c) / 5 : 0),
  },
  {
    key: 'bottom-right',
    planted: 'bottom-right corner patches (position only)',
    label: null,
    scale: 5,
    patch: (r, c) => (r > 8 && c > 8 ? 1 - (22 - r - c) / 5 : 0),
  },
  {
    key: 'centre',
    planted: 'patches near the image centre (position only)',
    label: null,
    scale: 3.2,
    patch: (r, c) => Math.max(0, 1 - Math.hypot(r - 5.5, c - 5.5) / 3),
  },
  {
    key: 'border',
    planted: 'the outer ring of patches (position only)',
    label: 'image border',
    scale: 2.5,
    patch: (r, c) => (r === 0 || c === 0 || r === 11 || c === 11 ? 1 : 0),
  },
  {
    key: 'outline',
    planted: 'object outlines (pixels on the edge of a shape)',
    label: 'edges of shapes',
    scale: 8,
    pixel: onOutline,
  },
  {
    key: 'secondary',
    planted: 'the small secondary object',
    label: null,
    scale: 5.5,
    pixel: (image, i) => (image.labels.object[i] === 2 ? 1 : 0),
  },
  { key: 'dark', planted: 'dark pixels (luminance below 90)', label: null, scale: 3, pixel: isDark },
  {
    key: 'triangle-or-checker',
    planted: 'polysemantic: triangles and checkered backgrounds (image only)',
    label: null,
    scale: 4.4,
    pixel: (image, i) => Math.max(shapeIs('triangle')(image, i), backgroundIs('checker')(image, i)),
  },
  {
    key: 'any-patch',
    planted: 'every image patch (the image-token direction)',
    label: 'any image patch',
    scale: 1.2,
    patch: () => 1,
  },

  // Text only, at every layer.
  {
    key: 'plural',
    planted: 'plural nouns (tokens ending in -s)',
    label: 'plural nouns',
    scale: 4.5,
    token: (tokens, position) => {
      const word = wordOf(tokens[position]);
      return word.length >= 3 && word.endsWith('s') && !word.endsWith('ss') && !PLURAL_EXCEPTIONS.has(word) ? 1 : 0;
    },
  },
  { key: 'animal', planted: 'animal words', label: 'animals', scale: 6, token: wordIn(...withPlurals(ANIMALS)) },
  {
    key: 'full-stop',
    planted: 'sentence-final full stop',
    label: 'end of sentence',
    scale: 3,
    token: (tokens, position) => (tokens[position].trim() === '.' ? 1 : 0),
  },
  { key: 'article', planted: 'articles (a, an, the)', label: null, scale: 2.2, token: wordIn('a', 'an', 'the') },
  {
    key: 'number',
    planted: 'number words',
    label: 'numbers',
    scale: 5,
    token: wordIn('one', 'two', 'three', 'four', 'five', 'six', 'seven'),
  },
  {
    key: 'ing',
    planted: 'verbs in -ing',
    label: null,
    scale: 4,
    token: (tokens, position) =>
      /^[a-z]{2,}ing$/.test(wordOf(tokens[position])) && tokens[position].startsWith(' ') ? 1 : 0,
  },
  {
    key: 'first',
    planted: 'the first token of a text',
    label: null,
    scale: 9,
    token: (_tokens, position) => (position === 0 ? 1 : 0),
  },
  { key: 'background-word', planted: 'the word "background"', label: null, scale: 3.6, token: wordIn('background') },
  {
    key: 'water',
    planted: 'water animals and boats (text only)',
    label: null,
    scale: 4,
    token: wordIn(...withPlurals(['fish', 'duck', 'frog', 'boat'])),
  },
  { key: 'any-token', planted: 'every text token (the text-token direction)', label: null, scale: 1.2, token: () => 1 },

  // Abstract concepts of deeper layers, shared from the start.
  {
    key: 'warm',
    planted: 'warm colours (red, orange, yellow) in pixels and words',
    label: null,
    scale: 3,
    pixel: colourIn(['red', 'orange', 'yellow']),
    token: wordIn('red', 'orange', 'yellow', 'warm'),
    from: 15,
    sharedFrom: 15,
  },
  {
    key: 'cool',
    planted: 'cool colours (blue, green, purple) in pixels and words',
    label: 'cool colours',
    scale: 3,
    pixel: colourIn(['blue', 'green', 'purple']),
    token: wordIn('blue', 'green', 'purple', 'cool'),
    from: 15,
    sharedFrom: 15,
  },
  {
    key: 'any-colour',
    planted: 'any saturated colour, and any colour word',
    label: null,
    scale: 2.5,
    pixel: (image, i) => (image.labels.colour[i] > 0 ? 1 : 0),
    token: wordIn(...COLOURS),
    from: 20,
    sharedFrom: 20,
  },
];
