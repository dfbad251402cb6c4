// What each demo layer holds: which directions the synthetic residual stream uses (a concept seen
// in both modalities has one direction per modality below its `sharedFrom` layer, one shared
// direction from it on) and the SAE that reads them. Directions are an orthonormal set drawn from a
// per-layer seed; the SAE's encoder columns are those directions (slightly perturbed, as a trained
// encoder would be), its decoder rows exactly them, and its negative biases keep noise from firing.
import { hashSeed, mulberry32, shuffleInPlace, type Rng } from '../util/random';
import { CONCEPTS, readsImages, readsText, type Concept } from './concepts';

export const DEMO_LAYERS = [5, 10, 15, 20] as const;
export const D_IN = 64;
export const D_SAE = 48;
/** Encoder threshold: b_enc = -THRESHOLD. Row noise projects onto a unit column with σ ≈ NOISE_SIGMA, far below it. */
export const THRESHOLD = 0.5;
export const NOISE_SIGMA = 0.05;
/** A dead feature reads an unused direction behind a bias no activation reaches. */
const DEAD_BIAS = -4;
/** Trained encoders only approximate the directions; small enough that cross-talk stays far below THRESHOLD. */
const ENCODER_PERTURBATION = 0.01;

export type Variant = 'shared' | 'image' | 'text';

/** One direction of the residual stream at a layer, and the SAE feature that reads it. */
export interface Unit {
  concept: Concept;
  /** 'shared': image patches and text tokens both write this direction */
  variant: Variant;
  featureIndex: number;
  direction: Float32Array;
}

export interface LayerPlan {
  layer: number;
  units: Unit[];
  /** SAE feature indices with no planted concept (they never fire). */
  deadFeatures: number[];
  sae: { W_enc: Float32Array; b_enc: Float32Array; W_dec: Float32Array; b_dec: Float32Array };
  /** The residual stream's mean: added to every row, subtracted again by the SAE (apply_b_dec_to_input). */
  offset: Float32Array;
}

export const saeNameOf = (layer: number) => `demo-sae-L${String(layer).padStart(2, '0')}`;
export const corpusNameOf = (layer: number) => `demo-corpus-L${String(layer).padStart(2, '0')}`;
export const hookPointOf = (layer: number) => `blocks.${layer}.hook_resid_post`;

export function labelOf(unit: Unit): string | null {
  if (unit.variant === 'image' && readsText(unit.concept)) return unit.concept.imageLabel ?? null;
  if (unit.variant === 'text' && readsImages(unit.concept)) return unit.concept.textLabel ?? null;
  return unit.concept.label;
}

export function gaussian(rng: Rng): number {
  const u = 1 - rng(); // in (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** `count` orthonormal vectors of length `dim` (Gram–Schmidt on seeded Gaussian draws), in float64. */
export function orthonormalBasis(count: number, dim: number, rng: Rng): Float64Array[] {
  const basis: Float64Array[] = [];
  while (basis.length < count) {
    const v = Float64Array.from({ length: dim }, () => gaussian(rng));
    for (const b of basis) {
      let dot = 0;
      for (let i = 0; i < dim; i++) dot += v[i] * b[i];
      for (let i = 0; i < dim; i++) v[i] -= dot * b[i];
    }
    const norm = Math.hypot(...v);
    if (norm < 1e-6) continue;
    basis.push(v.map((x) => x / norm));
  }
  return basis;
}

function orthonormal(count: number, rng: Rng): Float32Array[] {
  return orthonormalBasis(count, D_IN, rng).map((b) => Float32Array.from(b));
}

/** The concept directions present at `layer`, before feature indices are assigned. */
function variantsAt(layer: number): { concept: Concept; variant: Variant }[] {
  return CONCEPTS.filter((concept) => (concept.from ?? 0) <= layer).flatMap(
    (concept): { concept: Concept; variant: Variant }[] => {
      const image = readsImages(concept);
      const text = readsText(concept);
      if (image && text) {
        return layer >= (concept.sharedFrom ?? 0)
          ? [{ concept, variant: 'shared' }]
          : [
              { concept, variant: 'image' },
              { concept, variant: 'text' },
            ];
      }
      return [{ concept, variant: image ? 'image' : 'text' }];
    },
  );
}

export function planLayer(layer: number): LayerPlan {
  const rng = mulberry32(hashSeed('sightline-demo', 'layer', layer));
  const variants = variantsAt(layer);
  if (variants.length > D_SAE)
    throw new Error(`demo layer ${layer}: ${variants.length} planted directions do not fit d_sae ${D_SAE}`);
  const directions = orthonormal(D_SAE + 1, rng);
  // SAE features come in no meaningful order, so the planted ones are shuffled. Dead features take
  // the last indices: a list sorted by index then opens on live features.
  const order = shuffleInPlace(
    variants.map((_, i) => i),
    rng,
  );
  const units: Unit[] = variants.map((v, i) => ({ ...v, featureIndex: order[i], direction: directions[i] }));
  const deadFeatures = Array.from({ length: D_SAE - variants.length }, (_, i) => variants.length + i);
  const offset = directions[D_SAE].map((x) => x * 3);

  const W_enc = new Float32Array(D_IN * D_SAE); // [d_in, d_sae], SAELens layout
  const W_dec = new Float32Array(D_SAE * D_IN); // [d_sae, d_in]
  const b_enc = new Float32Array(D_SAE);
  const readers: { featureIndex: number; direction: Float32Array; bias: number }[] = [
    ...units.map((unit) => ({ featureIndex: unit.featureIndex, direction: unit.direction, bias: -THRESHOLD })),
    ...deadFeatures.map((featureIndex, i) => ({
      featureIndex,
      direction: directions[variants.length + i],
      bias: DEAD_BIAS,
    })),
  ];
  for (const { featureIndex, direction, bias } of readers) {
    const column = direction.map((x) => x + ENCODER_PERTURBATION * gaussian(rng));
    const norm = Math.hypot(...column);
    for (let i = 0; i < D_IN; i++) {
      W_enc[i * D_SAE + featureIndex] = column[i] / norm;
      W_dec[featureIndex * D_IN + i] = direction[i];
    }
    b_enc[featureIndex] = bias;
  }
  return { layer, units, deadFeatures, sae: { W_enc, b_enc, W_dec, b_dec: Float32Array.from(offset) }, offset };
}
