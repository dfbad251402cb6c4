// The demo SAE's features, each defined by the concept planted for it. A feature reads image
// patches (`pixel`: a per-pixel score averaged over the patch, or `patch`: a position score), text
// tokens (`token`), or both. Modality, density and examples are then mined from the activations,
// not declared here, so the mining code sees the same kind of data a real SAE would give it.
import { ANIMALS, wordOf } from './corpus';
import { COLOURS, IMAGE_SIZE, SHAPES, type Colour, type DemoImage, type Shape, type Texture } from './images';

export interface FeatureSpec {
  /** What was planted: the ground truth a rater's label can be scored against. */
  planted: string;
  /** The label stored on the feature (about half are left for raters to find). */
  label: string | null;
  /** Activation at a full match, before noise. */
  scale: number;
  pixel?: (image: DemoImage, pixelIndex: number) => number;
  patch?: (row: number, col: number) => number;
  token?: (tokens: string[], position: number) => number;
}

const colourIs = (colour: Colour) => (image: DemoImage, i: number) => (image.labels.colour[i] === COLOURS.indexOf(colour) + 1 ? 1 : 0);
const colourIn = (colours: Colour[]) => (image: DemoImage, i: number) =>
  image.labels.colour[i] > 0 && colours.includes(COLOURS[image.labels.colour[i] - 1]) ? 1 : 0;
const shapeIs = (shape: Shape) => (image: DemoImage, i: number) => (image.labels.shape[i] === SHAPES.indexOf(shape) + 1 ? 1 : 0);
const backgroundIs = (texture: Texture) => (image: DemoImage, i: number) => (image.labels.object[i] === 0 && image.concepts.texture === texture ? 1 : 0);
const wordIn =
  (...words: string[]) =>
  (tokens: string[], position: number) =>
    words.includes(wordOf(tokens[position])) ? 1 : 0;
const withPlurals = (nouns: readonly string[]) => nouns.flatMap((noun) => [noun, /(sh|x)$/.test(noun) ? `${noun}es` : `${noun}s`]);

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
  return neighbours.some(([nx, ny]) => nx < 0 || ny < 0 || nx >= IMAGE_SIZE || ny >= IMAGE_SIZE || image.labels.object[ny * IMAGE_SIZE + nx] !== object) ? 1 : 0;
}

function isDark(image: DemoImage, i: number): number {
  const luminance = 0.2126 * image.rgb[i * 3] + 0.7152 * image.rgb[i * 3 + 1] + 0.0722 * image.rgb[i * 3 + 2];
  return luminance < 90 ? 1 : 0;
}

const PLURAL_EXCEPTIONS = new Set(['was', 'has', 'this', 'its', 'is', 'us', 'yes']);

const colourFeature = (colour: Colour, scale: number, labelled: boolean): FeatureSpec => ({
  planted: `${colour}: ${colour} pixels and the word "${colour}"`,
  label: labelled ? `${colour} things` : null,
  scale,
  pixel: colourIs(colour),
  token: wordIn(colour),
});

const shapeFeature = (shape: Shape, scale: number, labelled: boolean): FeatureSpec => ({
  planted: `${shape}: pixels inside ${shape}s and the word "${shape}(s)"`,
  label: labelled ? `${shape}s` : null,
  scale,
  pixel: shapeIs(shape),
  token: wordIn(shape, `${shape}s`),
});

const textureFeature = (texture: Texture, scale: number, label: string | null, words: string[] = []): FeatureSpec => ({
  planted: `${texture} background${words.length ? ` and the words ${words.map((w) => `"${w}"`).join(', ')}` : ''}`,
  label,
  scale,
  pixel: backgroundIs(texture),
  ...(words.length ? { token: wordIn(...words) } : {}),
});

/** Feature i of demo-sae is FEATURE_SPECS[i]. d_sae is 48; indices from FEATURE_SPECS.length up have no row. */
export const FEATURE_SPECS: FeatureSpec[] = [
  colourFeature('red', 6, true),
  colourFeature('green', 5.5, true),
  colourFeature('blue', 6.5, false),
  colourFeature('yellow', 5, true),
  colourFeature('purple', 4.5, false),
  colourFeature('orange', 5.8, true),
  shapeFeature('circle', 7, true),
  shapeFeature('square', 6, false),
  shapeFeature('triangle', 6.4, true),
  textureFeature('stripes', 4.2, 'striped backgrounds', ['striped', 'stripes']),
  textureFeature('dots', 3.8, 'polka dots'),
  textureFeature('checker', 4, null),
  textureFeature('noise', 3.5, 'visual noise / grain'),
  textureFeature('gradient', 3, null),
  { planted: 'top-left corner patches (position only)', label: 'top-left corner', scale: 5, patch: (r, c) => (r < 3 && c < 3 ? 1 - (r + c) / 5 : 0) },
  { planted: 'bottom-right corner patches (position only)', label: null, scale: 5, patch: (r, c) => (r > 8 && c > 8 ? 1 - (22 - r - c) / 5 : 0) },
  {
    planted: 'patches near the image centre (position only)',
    label: null,
    scale: 3.2,
    patch: (r, c) => Math.max(0, 1 - Math.hypot(r - 5.5, c - 5.5) / 3),
  },
  { planted: 'the outer ring of patches (position only)', label: 'image border', scale: 2.5, patch: (r, c) => (r === 0 || c === 0 || r === 11 || c === 11 ? 1 : 0) },
  { planted: 'object outlines (pixels on the edge of a shape)', label: 'edges of shapes', scale: 8, pixel: onOutline },
  {
    planted: 'warm colours (red, orange, yellow) in pixels and words',
    label: null,
    scale: 4,
    pixel: colourIn(['red', 'orange', 'yellow']),
    token: wordIn('red', 'orange', 'yellow', 'warm'),
  },
  {
    planted: 'cool colours (blue, green, purple) in pixels and words',
    label: 'cool colours',
    scale: 4,
    pixel: colourIn(['blue', 'green', 'purple']),
    token: wordIn('blue', 'green', 'purple', 'cool'),
  },
  { planted: 'any saturated colour, and any colour word', label: null, scale: 2.5, pixel: (image, i) => (image.labels.colour[i] > 0 ? 1 : 0), token: wordIn(...COLOURS) },
  {
    planted: 'plural nouns (tokens ending in -s)',
    label: 'plural nouns',
    scale: 4.5,
    token: (tokens, position) => {
      const word = wordOf(tokens[position]);
      return word.length >= 3 && word.endsWith('s') && !word.endsWith('ss') && !PLURAL_EXCEPTIONS.has(word) ? 1 : 0;
    },
  },
  { planted: 'animal words', label: 'animals', scale: 6, token: wordIn(...withPlurals(ANIMALS)) },
  { planted: 'sentence-final full stop', label: 'end of sentence', scale: 3, token: (tokens, position) => (tokens[position].trim() === '.' ? 1 : 0) },
  { planted: 'articles (a, an, the)', label: null, scale: 2.2, token: wordIn('a', 'an', 'the') },
  { planted: 'number words', label: 'numbers', scale: 5, token: wordIn('one', 'two', 'three', 'four', 'five', 'six', 'seven') },
  {
    planted: 'verbs in -ing',
    label: null,
    scale: 4,
    token: (tokens, position) => (/^[a-z]{2,}ing$/.test(wordOf(tokens[position])) && tokens[position].startsWith(' ') ? 1 : 0),
  },
  { planted: 'the first token of a text', label: null, scale: 9, token: (_tokens, position) => (position === 0 ? 1 : 0) },
  {
    planted: 'polysemantic: yellow pixels, and the word "dog(s)"',
    label: null,
    scale: 4.8,
    pixel: colourIs('yellow'),
    token: wordIn('dog', 'dogs'),
  },
  {
    planted: 'polysemantic: triangles and checkered backgrounds (image only)',
    label: null,
    scale: 4.4,
    pixel: (image, i) => Math.max(shapeIs('triangle')(image, i), backgroundIs('checker')(image, i)),
  },
  { planted: 'any background pixel', label: 'background', scale: 1.5, pixel: (image, i) => (image.labels.object[i] === 0 ? 1 : 0) },
  { planted: 'the small secondary object', label: null, scale: 5.5, pixel: (image, i) => (image.labels.object[i] === 2 ? 1 : 0) },
  { planted: 'shape words (text only)', label: 'shape words', scale: 5, token: wordIn(...withPlurals(SHAPES), 'shape', 'shapes') },
  { planted: 'water animals and boats (text only)', label: null, scale: 4, token: wordIn(...withPlurals(['fish', 'duck', 'frog', 'boat'])) },
  { planted: 'dark pixels (luminance below 90)', label: null, scale: 3, pixel: isDark },
  { planted: 'dead: never fires', label: null, scale: 0 },
  { planted: 'dead: never fires', label: null, scale: 0 },
  { planted: 'dead: never fires', label: null, scale: 0 },
  { planted: 'the word "background"', label: null, scale: 3.6, token: wordIn('background') },
];
