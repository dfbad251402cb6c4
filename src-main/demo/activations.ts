// Synthetic residual-stream activations of the demo corpus, one layer at a time. Every document is
// a BOS row, then (for an image document) its 12×12 patches row-major, then its text tokens. A
// content row is the layer's mean plus, for each planted direction, match × scale × jitter times the
// direction, plus seeded Gaussian noise; the SAE then has to recover the concepts from these rows.
import { hashSeed, mulberry32 } from '../util/random';
import { CONCEPTS, readsImages, readsText, type Concept } from './concepts';
import type { DemoDocument } from './corpus';
import { IMAGE_SIZE, PATCH_GRID, type DemoImage } from './images';
import { D_IN, gaussian, NOISE_SIGMA, type LayerPlan } from './layers';

const PATCH_SIZE = IMAGE_SIZE / PATCH_GRID;
export const PATCHES = PATCH_GRID * PATCH_GRID;
/** Per-row multiplicative spread of a planted weight: no two red patches fire exactly alike. */
const JITTER = 0.08;
/**
 * From the layer at which a concept is shared, the caption's tokens also carry what the image shows
 * (at this fraction of the scale): deeper layers move image content into text positions, which is
 * what makes a shared feature fire on text of an image document beyond the word itself.
 */
const CAPTION_LEAK = 0.3;
/** BOS rows carry a massive activation, as real models' attention sinks do; import marks them special. */
const BOS_NORM = 30;

/** What each document shows of each concept, in [0, 1]; computed once, read by every layer. */
export interface DocumentMatches {
  /** [concept][patch], or null for a text document */
  patches: Float32Array[] | null;
  /** [concept][token] */
  tokens: Float32Array[];
  /** [concept]: the strongest patch, which the caption inherits at deep layers */
  presence: Float32Array;
}

/** The planted match of each patch in [0, 1]: the mean pixel score, or the position score. */
export function patchMatches(concept: Concept, image: DemoImage): Float32Array {
  const matches = new Float32Array(PATCHES);
  for (let row = 0; row < PATCH_GRID; row++) {
    for (let col = 0; col < PATCH_GRID; col++) {
      let match = concept.patch ? concept.patch(row, col) : 0;
      if (concept.pixel) {
        let sum = 0;
        for (let dy = 0; dy < PATCH_SIZE; dy++) {
          for (let dx = 0; dx < PATCH_SIZE; dx++)
            sum += concept.pixel(image, (row * PATCH_SIZE + dy) * IMAGE_SIZE + col * PATCH_SIZE + dx);
        }
        match = Math.max(match, sum / (PATCH_SIZE * PATCH_SIZE));
      }
      matches[row * PATCH_GRID + col] = match;
    }
  }
  return matches;
}

export function documentMatches(documents: DemoDocument[]): DocumentMatches[] {
  return documents.map((document) => {
    const patches = document.image
      ? CONCEPTS.map((concept) =>
          readsImages(concept) ? patchMatches(concept, document.image!) : new Float32Array(PATCHES),
        )
      : null;
    const tokens = CONCEPTS.map((concept) =>
      Float32Array.from(document.tokens, (_, position) =>
        readsText(concept) ? concept.token!(document.tokens, position) : 0,
      ),
    );
    const presence = Float32Array.from(CONCEPTS, (_, c) => (patches ? Math.max(...patches[c]) : 0));
    return { patches, tokens, presence };
  });
}

export const rowsOf = (document: DemoDocument) => 1 + (document.image ? PATCHES : 0) + document.tokens.length;

/** All rows of one layer, documents in order, as one [rows, D_IN] float32 array. Seeded per layer. */
export function layerActivations(plan: LayerPlan, documents: DemoDocument[], matches: DocumentMatches[]): Float32Array {
  const rng = mulberry32(hashSeed('sightline-demo', 'activations', plan.layer));
  const total = documents.reduce((n, document) => n + rowsOf(document), 0);
  const data = new Float32Array(total * D_IN);
  const conceptIndex = new Map(CONCEPTS.map((concept, c) => [concept, c]));
  const units = plan.units.map((unit) => ({ ...unit, c: conceptIndex.get(unit.concept)! }));
  const bos = Float32Array.from({ length: D_IN }, () => gaussian(rng));
  const bosNorm = Math.hypot(...bos);
  let row = 0;
  const emit = (weights: (unit: (typeof units)[number]) => number, special = false) => {
    const at = row * D_IN;
    for (let i = 0; i < D_IN; i++)
      data[at + i] = plan.offset[i] + (special ? (BOS_NORM * bos[i]) / bosNorm : NOISE_SIGMA * gaussian(rng));
    if (!special) {
      for (const unit of units) {
        const weight = weights(unit);
        if (weight <= 0) continue;
        const scaled = weight * unit.concept.scale * Math.max(0, 1 + JITTER * gaussian(rng));
        for (let i = 0; i < D_IN; i++) data[at + i] += scaled * unit.direction[i];
      }
    }
    row++;
  };
  documents.forEach((document, d) => {
    const { patches, tokens, presence } = matches[d];
    emit(() => 0, true);
    if (patches) {
      for (let p = 0; p < PATCHES; p++) emit((unit) => (unit.variant === 'text' ? 0 : patches[unit.c][p]));
    }
    for (let t = 0; t < document.tokens.length; t++) {
      emit((unit) =>
        unit.variant === 'image'
          ? 0
          : tokens[unit.c][t] +
            (unit.variant === 'shared' && readsImages(unit.concept) ? CAPTION_LEAK * presence[unit.c] : 0),
      );
    }
  });
  return data;
}
