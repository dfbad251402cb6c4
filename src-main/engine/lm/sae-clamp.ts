// SAE-feature clamp (issue 13): set feature i of an SAE to c on the steered positions with
// h += (c - f_i(h)) W_dec[i]. The graph cannot hold a whole SAE per request (steering is graph inputs,
// not weights), so feature i is reduced here to one encoder row, one decoder row and a few scalars,
// with the SAE's own maths (engine/reference.ts encodeReference, graph/sae-encoder.ts) folded in:
//   x' = normalise(inputScale * h)                 (SAELens process_sae_in, b_dec handled below)
//   raw = x' . encoder
//   f_i = raw + gateBias > threshold ? relu(raw * magnitudeScale + magnitudeBias) : 0
// - b_dec (apply_b_dec_to_input): (x' - b_dec).w = x'.w - b_dec.w, so b_dec.w is folded into both
//   biases (gated: times exp(r_mag) in the magnitude's).
// - ReLU: gate at 0, magnitude bias b_enc. JumpReLU: gate at its threshold. Gated: the gate's bias
//   b_gate, the magnitude's exp(r_mag) and b_mag.
// - TopK: the row's pre-activation (times ||W_dec[i]|| when the SAE rescales by decoder norm) through a
//   ReLU, i.e. the value feature i has when it is among the row's top k. Whether it is needs every
//   other feature's pre-activation, which one row cannot give; a clamp is a statement about feature i,
//   so the graph treats it as selected.
// The clamp writes along W_dec[i] and keeps the SAE's error term (h - reconstruction), so re-encoding
// the steered h reads exactly c when the encoder row is dual to the decoder row (W_dec[i].w = 1, as in
// a tied SAE) and the feature was active; otherwise it is the SAE-basis clamp the issue defines.
import { AppError } from '../../util/errors.js';
import { decoderRowNorms } from '../reference.js';
import type { SaeNormalisation, SaeWeights } from '../sae-model.js';

/** SAELens' layer-norm epsilon, as in graph/sae-encoder.ts and engine/reference.ts. */
export const CLAMP_LAYER_NORM_EPS = 1e-5;

/** Graph code of each normalisation (the column steer_clamp_param_<L>[:, 1]). */
export const CLAMP_NORMALISATION_CODE: Record<SaeNormalisation, number> = {
  none: 0,
  constant_norm_rescale: 1,
  layer_norm: 2,
};

/** Feature i of an SAE, reduced to what reading and writing it needs. */
export interface SaeFeatureRow {
  /** W_enc[:, i], [d_in] (TopK with decoder-norm rescale: times ||W_dec[i]||) */
  encoder: Float32Array;
  /** W_dec[i], [d_in]: the direction the clamp writes along */
  decoder: Float32Array;
  inputScale: number;
  normalisation: SaeNormalisation;
  gateBias: number;
  threshold: number;
  magnitudeScale: number;
  magnitudeBias: number;
}

export function saeFeatureRow(w: SaeWeights, feature: number): SaeFeatureRow {
  const { dIn, dSae } = w;
  if (!Number.isInteger(feature) || feature < 0 || feature >= dSae)
    throw new AppError('invalid_input', `SAE feature ${feature}: expected an integer in 0..${dSae - 1}`);
  const rescale = w.architecture === 'topk' && w.rescaleActsByDecoderNorm ? decoderRowNorms(w)[feature] : 1;
  const encoder = new Float32Array(dIn);
  for (let d = 0; d < dIn; d++) encoder[d] = w.W_enc[d * dSae + feature] * rescale;
  const decoder = w.W_dec.slice(feature * dIn, (feature + 1) * dIn);
  let bDecDot = 0;
  if (w.applyBDecToInput) for (let d = 0; d < dIn; d++) bDecDot += w.b_dec[d] * encoder[d];
  const common = { encoder, decoder, inputScale: w.inputScale ?? 1, normalisation: w.normalizeActivations };
  switch (w.architecture) {
    case 'relu':
    case 'topk': {
      const bias = w.b_enc[feature] * rescale - bDecDot;
      return { ...common, gateBias: bias, threshold: 0, magnitudeScale: 1, magnitudeBias: bias };
    }
    case 'jumprelu': {
      const bias = w.b_enc[feature] - bDecDot;
      return { ...common, gateBias: bias, threshold: w.threshold![feature], magnitudeScale: 1, magnitudeBias: bias };
    }
    case 'gated': {
      const scale = Math.exp(w.r_mag![feature]);
      return {
        ...common,
        gateBias: w.b_gate![feature] - bDecDot,
        threshold: 0,
        magnitudeScale: scale,
        magnitudeBias: w.b_mag![feature] - scale * bDecDot,
      };
    }
  }
}

/** f_i(h) in float64 for one residual row (the reference pass's clamp). */
export function featureActivation(row: SaeFeatureRow, h: ArrayLike<number>): number {
  const D = row.encoder.length;
  const x = new Float64Array(D);
  for (let d = 0; d < D; d++) x[d] = h[d] * row.inputScale;
  if (row.normalisation === 'constant_norm_rescale') {
    let sq = 0;
    for (let d = 0; d < D; d++) sq += x[d] * x[d];
    const coeff = Math.sqrt(D) / Math.sqrt(sq);
    for (let d = 0; d < D; d++) x[d] *= coeff;
  } else if (row.normalisation === 'layer_norm') {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += x[d];
    mean /= D;
    let ss = 0;
    for (let d = 0; d < D; d++) ss += (x[d] - mean) ** 2;
    const std = Math.sqrt(ss / (D - 1));
    for (let d = 0; d < D; d++) x[d] = (x[d] - mean) / (std + CLAMP_LAYER_NORM_EPS);
  }
  let raw = 0;
  for (let d = 0; d < D; d++) raw += x[d] * row.encoder[d];
  return raw + row.gateBias > row.threshold ? Math.max(0, raw * row.magnitudeScale + row.magnitudeBias) : 0;
}

/** The seven scalars of steer_clamp_param_<L>, in column order. */
export function clampParams(row: SaeFeatureRow, value: number): number[] {
  return [
    row.inputScale,
    CLAMP_NORMALISATION_CODE[row.normalisation],
    row.gateBias,
    row.threshold,
    row.magnitudeScale,
    row.magnitudeBias,
    value,
  ];
}
