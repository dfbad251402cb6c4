// Plain-TypeScript SAE encoder with Float64 accumulation: the ground truth the ONNX graphs are
// tested against. Follows SAELens' encode() for each architecture (process_sae_in, then the
// activation), with our inputScale applied first. Dense [n, dSae] output: small tests only.
import type { SaeWeights } from './sae-model.js';

const LAYER_NORM_EPS = 1e-5;

/** The encoder input after scaling, normalisation and b_dec subtraction, for one row. */
function processInput(w: SaeWeights, x: Float32Array, row: number): Float64Array {
  const d = w.dIn;
  const v = new Float64Array(d);
  const scale = w.inputScale ?? 1;
  for (let i = 0; i < d; i++) v[i] = x[row * d + i] * scale;
  if (w.normalizeActivations === 'constant_norm_rescale') {
    let sq = 0;
    for (let i = 0; i < d; i++) sq += v[i] * v[i];
    const coeff = Math.sqrt(d) / Math.sqrt(sq);
    for (let i = 0; i < d; i++) v[i] *= coeff;
  } else if (w.normalizeActivations === 'layer_norm') {
    // SAELens: (x - mean) / (std + eps) with torch's unbiased std.
    let mu = 0;
    for (let i = 0; i < d; i++) mu += v[i];
    mu /= d;
    let ss = 0;
    for (let i = 0; i < d; i++) ss += (v[i] - mu) ** 2;
    const std = Math.sqrt(ss / (d - 1));
    for (let i = 0; i < d; i++) v[i] = (v[i] - mu) / (std + LAYER_NORM_EPS);
  }
  if (w.applyBDecToInput) for (let i = 0; i < d; i++) v[i] -= w.b_dec[i];
  return v;
}

export function decoderRowNorms(w: SaeWeights): Float64Array {
  const norms = new Float64Array(w.dSae);
  for (let j = 0; j < w.dSae; j++) {
    let s = 0;
    for (let i = 0; i < w.dIn; i++) s += w.W_dec[j * w.dIn + i] ** 2;
    norms[j] = Math.sqrt(s);
  }
  return norms;
}

/** Dense feature activations [n, dSae] for inputs x [n, dIn]. */
export function encodeReference(w: SaeWeights, x: Float32Array, n: number): Float32Array {
  const { dIn, dSae } = w;
  const out = new Float32Array(n * dSae);
  const pre = new Float64Array(dSae);
  const decNorms = w.rescaleActsByDecoderNorm ? decoderRowNorms(w) : undefined;
  for (let r = 0; r < n; r++) {
    const v = processInput(w, x, r);
    pre.fill(0);
    for (let i = 0; i < dIn; i++) {
      const xi = v[i];
      const base = i * dSae;
      for (let j = 0; j < dSae; j++) pre[j] += xi * w.W_enc[base + j];
    }
    const acts = out.subarray(r * dSae, (r + 1) * dSae);
    switch (w.architecture) {
      case 'relu':
        for (let j = 0; j < dSae; j++) acts[j] = Math.max(0, pre[j] + w.b_enc[j]);
        break;
      case 'jumprelu':
        for (let j = 0; j < dSae; j++) {
          const h = pre[j] + w.b_enc[j];
          acts[j] = h > w.threshold![j] ? Math.max(0, h) : 0;
        }
        break;
      case 'gated':
        // SAELens GatedSAE: gate = [x W_enc + b_gate > 0]; magnitude = relu(x (W_enc * exp(r_mag)) + b_mag)
        for (let j = 0; j < dSae; j++) {
          const gate = pre[j] + w.b_gate![j] > 0;
          acts[j] = gate ? Math.max(0, pre[j] * Math.exp(w.r_mag![j]) + w.b_mag![j]) : 0;
        }
        break;
      case 'topk': {
        const h = new Float64Array(dSae);
        for (let j = 0; j < dSae; j++) h[j] = (pre[j] + w.b_enc[j]) * (decNorms ? decNorms[j] : 1);
        for (const j of topIndices(h, w.k!)) acts[j] = Math.max(0, h[j]);
        break;
      }
    }
  }
  return out;
}

/** Indices of the k largest values, largest first; ties go to the lower index (as ONNX TopK). */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  return idx.slice(0, k);
}

/** Top-k per row of a dense [n, d] matrix. */
export function topKPerRow(
  dense: Float32Array,
  n: number,
  d: number,
  k: number,
): { values: Float32Array; indices: Int32Array } {
  const values = new Float32Array(n * k);
  const indices = new Int32Array(n * k);
  for (let r = 0; r < n; r++) {
    const row = dense.subarray(r * d, (r + 1) * d);
    topIndices(row, k).forEach((j, t) => {
      values[r * k + t] = row[j];
      indices[r * k + t] = j;
    });
  }
  return { values, indices };
}
