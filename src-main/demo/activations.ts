// Activations of the demo features over the demo corpus. Each position's pre-activation is
// planted-match × scale, plus seeded Gaussian noise, minus a threshold (the encoder bias of a ReLU
// SAE); the activation is its ReLU. The threshold sits at 3σ, so positions without the concept
// fire rarely (~0.1%) and weakly, as SAE features do, and partial-match patches fire in proportion.
import { hashSeed, mulberry32, type Rng } from '../util/random';
import type { DemoDocument } from './corpus';
import type { FeatureSpec } from './feature-specs';
import { IMAGE_SIZE, PATCH_GRID, type DemoImage } from './images';

const PATCH_SIZE = IMAGE_SIZE / PATCH_GRID;
const NOISE_FRACTION = 0.04; // σ as a fraction of the feature's scale
const THRESHOLD_SIGMAS = 3;

export interface DocumentActivations {
  /** Aligned with the document's tokens (zeros where the feature does not read text). */
  tokens: number[];
  /** Row-major PATCH_GRID² values (zeros where the feature does not read images), or null when the document has no image. */
  patches: number[] | null;
}

export const readsImages = (spec: FeatureSpec): boolean => spec.scale > 0 && (spec.pixel !== undefined || spec.patch !== undefined);
export const readsText = (spec: FeatureSpec): boolean => spec.scale > 0 && spec.token !== undefined;

/** Standard normal via Box–Muller; 1 − u keeps log away from 0. */
function gaussian(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Four decimals: ample for display, and the stored JSON stays small and byte-identical across runs. */
const round4 = (value: number) => Math.round(value * 1e4) / 1e4;

/** The planted match of each patch in [0, 1]: the mean pixel score, or the position score. */
export function patchMatches(spec: FeatureSpec, image: DemoImage): number[] {
  const matches = new Array<number>(PATCH_GRID * PATCH_GRID).fill(0);
  for (let row = 0; row < PATCH_GRID; row++) {
    for (let col = 0; col < PATCH_GRID; col++) {
      let match = spec.patch ? spec.patch(row, col) : 0;
      if (spec.pixel) {
        let sum = 0;
        for (let dy = 0; dy < PATCH_SIZE; dy++) {
          for (let dx = 0; dx < PATCH_SIZE; dx++) sum += spec.pixel(image, (row * PATCH_SIZE + dy) * IMAGE_SIZE + col * PATCH_SIZE + dx);
        }
        match = Math.max(match, sum / (PATCH_SIZE * PATCH_SIZE));
      }
      matches[row * PATCH_GRID + col] = match;
    }
  }
  return matches;
}

function activate(match: number, scale: number, rng: Rng): number {
  const sigma = NOISE_FRACTION * scale;
  return round4(Math.max(0, match * scale + sigma * gaussian(rng) - THRESHOLD_SIGMAS * sigma));
}

/** One feature's activations on every document, in document order. Seeded per feature index. */
export function featureActivations(featureIndex: number, spec: FeatureSpec, documents: DemoDocument[]): DocumentActivations[] {
  const rng = mulberry32(hashSeed('sightline-demo', 'activations', featureIndex));
  return documents.map((document) => ({
    tokens: readsText(spec)
      ? document.tokens.map((_, position) => activate(spec.token!(document.tokens, position), spec.scale, rng))
      : document.tokens.map(() => 0),
    patches: !document.image
      ? null
      : readsImages(spec)
        ? patchMatches(spec, document.image).map((match) => activate(match, spec.scale, rng))
        : new Array<number>(PATCH_GRID * PATCH_GRID).fill(0),
  }));
}
