// The vision tower and projector in plain TypeScript, float64 (issue 14): the yardstick the ONNX graph
// (graph/vision-tower.ts) is held to. CLIP ViT as transformers' CLIPVisionModel computes it: a patch
// convolution without bias, the class embedding in front, position embeddings, pre_layrnorm, then
// pre-norm encoder layers (bidirectional attention, quick_gelu MLP). LLaVA-NeXT reads hidden_states
// [vision_feature_layer] (0 = after pre_layrnorm), drops CLS under 'default', and projects with
// linear_1 -> GELU (erf) -> linear_2. post_layernorm is never used.
import type { VisionWeights } from './weights.js';
import { positionsPerTile } from './weights.js';

function layerNorm(x: Float64Array, rows: number, dim: number, w: Float32Array, b: Float32Array, eps: number) {
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[r * dim + i];
    mean /= dim;
    let variance = 0;
    for (let i = 0; i < dim; i++) variance += (x[r * dim + i] - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / dim + eps);
    for (let i = 0; i < dim; i++) out[r * dim + i] = (x[r * dim + i] - mean) * scale * w[i] + b[i];
  }
  return out;
}

/** x [rows, inDim] times nn.Linear weight [outDim, inDim] transposed, plus bias. */
function linear(x: Float64Array, rows: number, inDim: number, w: Float32Array, bias: Float32Array, outDim: number) {
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = bias[o];
      for (let i = 0; i < inDim; i++) sum += x[r * inDim + i] * w[o * inDim + i];
      out[r * outDim + o] = sum;
    }
  }
  return out;
}

// erf by Abramowitz-Stegun 7.1.26 is only 1e-7 accurate; this series/continued-fraction pair is ~1e-15.
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz), converges fast for t >= 2.5
  let f = t;
  for (let n = 60; n >= 1; n--) f = t + n / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / f);
}

export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const quickGelu = (x: number) => x / (1 + Math.exp(-1.702 * x));

/** One tile [3, T, T] -> the tower's hidden_states[featureLayer] [patches + 1, D]. */
function towerTile(w: VisionWeights, pixels: Float32Array, offset: number): Float64Array {
  const c = w.config;
  const D = c.hiddenSize;
  const p = c.patchSize;
  const side = c.imageSize / p;
  const S = side * side + 1;
  let h = new Float64Array(S * D);
  for (let d = 0; d < D; d++) h[d] = w.classEmbedding[d] + w.positionEmbedding[d];
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      const s = 1 + py * side + px;
      for (let d = 0; d < D; d++) {
        let sum = 0;
        for (let ch = 0; ch < 3; ch++) {
          for (let ky = 0; ky < p; ky++) {
            for (let kx = 0; kx < p; kx++) {
              const pixel = pixels[offset + (ch * c.imageSize + py * p + ky) * c.imageSize + px * p + kx];
              sum += pixel * w.patchEmbedding[((d * 3 + ch) * p + ky) * p + kx];
            }
          }
        }
        h[s * D + d] = sum + w.positionEmbedding[s * D + d];
      }
    }
  }
  h = layerNorm(h, S, D, w.preNormWeight, w.preNormBias, c.layerNormEps);
  const heads = c.nHeads;
  const hd = D / heads;
  const act = c.hiddenAct === 'quick_gelu' ? quickGelu : gelu;
  for (const layer of w.layers) {
    const x = layerNorm(h, S, D, layer.norm1Weight, layer.norm1Bias, c.layerNormEps);
    const q = linear(x, S, D, layer.q, layer.qBias, D);
    const k = linear(x, S, D, layer.k, layer.kBias, D);
    const v = linear(x, S, D, layer.v, layer.vBias, D);
    const attn = new Float64Array(S * D);
    const scores = new Float64Array(S);
    for (let head = 0; head < heads; head++) {
      for (let i = 0; i < S; i++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < S; j++) {
          let dot = 0;
          for (let e = 0; e < hd; e++) dot += q[i * D + head * hd + e] * k[j * D + head * hd + e];
          scores[j] = dot / Math.sqrt(hd);
          max = Math.max(max, scores[j]);
        }
        let total = 0;
        for (let j = 0; j < S; j++) total += scores[j] = Math.exp(scores[j] - max);
        for (let j = 0; j < S; j++) {
          const weight = scores[j] / total;
          for (let e = 0; e < hd; e++) attn[i * D + head * hd + e] += weight * v[j * D + head * hd + e];
        }
      }
    }
    const o = linear(attn, S, D, layer.o, layer.oBias, D);
    for (let i = 0; i < h.length; i++) h[i] += o[i];
    const y = layerNorm(h, S, D, layer.norm2Weight, layer.norm2Bias, c.layerNormEps);
    const up = linear(y, S, D, layer.fc1, layer.fc1Bias, c.intermediateSize).map(act);
    const down = linear(up, S, c.intermediateSize, layer.fc2, layer.fc2Bias, D);
    for (let i = 0; i < h.length; i++) h[i] += down[i];
  }
  return h;
}

/** pixel_values [tiles, 3, T, T] -> projected image features [tiles, positionsPerTile, textD]. */
export function referenceImageFeatures(w: VisionWeights, pixels: Float32Array, tiles: number): Float64Array {
  const c = w.config;
  const D = c.hiddenSize;
  const n = positionsPerTile(c);
  const T = c.textHiddenSize;
  const out = new Float64Array(tiles * n * T);
  const tileLength = 3 * c.imageSize * c.imageSize;
  for (let t = 0; t < tiles; t++) {
    const h = towerTile(w, pixels, t * tileLength);
    const selected = c.selectStrategy === 'default' ? h.subarray(D) : h;
    const mid = linear(selected, n, D, w.projector1, w.projector1Bias, T).map(gelu);
    out.set(linear(mid, n, T, w.projector2, w.projector2Bias, T), t * n * T);
  }
  return out;
}
