// A plain-TypeScript forward pass for Llama/Mistral decoders, accumulating in float64: the yardstick
// the ONNX graph is held to (issue 13), and itself held to transformers by the committed fixtures.
// Slow and simple on purpose: one sequence, no cache, no padding, every position recomputed.
import { AppError } from '../../util/errors.js';
import type { LmWeights } from './folder.js';
import { ropeInverseFrequencies } from './rope.js';
import { featureActivation } from './sae-clamp.js';
import { argmax, chooseToken, rowRngs, type SamplingOptions } from './sampling.js';
import { checkSteerLayer, isClamp, isProjection, positionMask, projectionBounds, type Steer } from './steering.js';
import { klFromLogits } from './strength.js';

export interface ReferenceInput {
  /** token ids [S]; or */
  ids?: readonly number[];
  /** input embeddings [S, d_model] (LLaVA splices image features in here) */
  embeds?: ArrayLike<number>;
  steer?: readonly Steer[];
  /** the first promptLength positions are the prompt (for the 'prompt'/'generated' position modes); default S */
  promptLength?: number;
  /** layers whose residual stream (entering the block, after any steer) to return */
  captureLayers?: readonly number[];
}

export interface ReferenceOutput {
  /** [S, vocab] */
  logits: Float64Array;
  /** layer -> [S, d_model] */
  hidden: Map<number, Float64Array>;
}

export function referenceForward(w: LmWeights, input: ReferenceInput): ReferenceOutput {
  const c = w.config;
  const { dModel: D, nHeads, nKvHeads, headDim, ffnDim, vocabSize } = c;
  const h = embed(w, input);
  const S = h.length / D;
  const promptLength = input.promptLength ?? S;
  for (const s of input.steer ?? []) checkSteerLayer(s.layer, c.nLayers);
  const invFreq = ropeInverseFrequencies(c);
  const hidden = new Map<number, Float64Array>();
  const t = w.tensors;

  for (let L = 0; L < c.nLayers; L++) {
    for (const steer of input.steer ?? []) {
      if (steer.layer !== L) continue;
      const mask = positionMask(steer.positions, 0, S, promptLength);
      for (let s = 0; s < S; s++) if (mask[s] !== 0) applySteer(h.subarray(s * D, (s + 1) * D), steer);
    }
    if (input.captureLayers?.includes(L)) hidden.set(L, h.slice());
    const layer = t.layers[L];

    const x = rmsNorm(h, S, D, layer.inputNorm, c.rmsNormEps);
    const q = linear(x, S, D, layer.q, nHeads * headDim);
    const k = linear(x, S, D, layer.k, nKvHeads * headDim);
    const v = linear(x, S, D, layer.v, nKvHeads * headDim);
    rotate(q, S, nHeads, headDim, invFreq);
    rotate(k, S, nKvHeads, headDim, invFreq);
    const attn = attention(q, k, v, S, nHeads, nKvHeads, headDim, c.slidingWindow);
    addInto(h, linear(attn, S, nHeads * headDim, layer.o, D));

    const y = rmsNorm(h, S, D, layer.postAttentionNorm, c.rmsNormEps);
    const gate = linear(y, S, D, layer.gate, ffnDim);
    const up = linear(y, S, D, layer.up, ffnDim);
    for (let i = 0; i < gate.length; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i]; // SiLU(gate) * up
    addInto(h, linear(gate, S, ffnDim, layer.down, D));
  }
  const final = rmsNorm(h, S, D, t.finalNorm, c.rmsNormEps);
  return { logits: linear(final, S, D, t.lmHead, vocabSize), hidden };
}

/**
 * Exactly `tokens` greedy tokens (the paper: no stop at EOS), recomputing the whole sequence each
 * step; a steer's positions are counted over prompt + generated tokens.
 */
export function referenceGreedy(
  w: LmWeights,
  promptIds: readonly number[],
  tokens: number,
  steer: readonly Steer[] = [],
): number[] {
  const ids = [...promptIds];
  const V = w.config.vocabSize;
  for (let n = 0; n < tokens; n++) {
    const { logits } = referenceForward(w, { ids, steer, promptLength: promptIds.length });
    ids.push(argmax(logits, (ids.length - 1) * V, V));
  }
  return ids.slice(promptIds.length);
}

/**
 * Exactly `tokens` tokens, greedy or sampled as `sampling` says (one PRNG from its seed), recomputing
 * the whole sequence each step: the yardstick for generate() in lm/decode.ts.
 */
export function referenceGenerate(
  w: LmWeights,
  promptIds: readonly number[],
  tokens: number,
  steer: readonly Steer[] = [],
  sampling?: SamplingOptions,
): number[] {
  const ids = [...promptIds];
  const V = w.config.vocabSize;
  const rng = sampling ? rowRngs(sampling, 1)[0] : undefined;
  for (let n = 0; n < tokens; n++) {
    const { logits } = referenceForward(w, { ids, steer, promptLength: promptIds.length });
    ids.push(chooseToken(logits, (ids.length - 1) * V, V, sampling, rng));
  }
  return ids.slice(promptIds.length);
}

/**
 * KL(steered || unsteered) in nats of the first generated token's distribution, the steering strength
 * lm/decode.ts measures, by this fp64 pass.
 */
export function referenceStrength(w: LmWeights, promptIds: readonly number[], steer: readonly Steer[]): number {
  const V = w.config.vocabSize;
  const last = (promptIds.length - 1) * V;
  const steered = referenceForward(w, { ids: promptIds, steer }).logits;
  const plain = referenceForward(w, { ids: promptIds }).logits;
  return klFromLogits(steered, last, plain, last, V);
}

export { argmax };

function applySteer(row: Float64Array, steer: Steer): void {
  if (isProjection(steer)) {
    const [lo, hi] = projectionBounds(steer);
    let projection = 0;
    for (let i = 0; i < row.length; i++) projection += row[i] * steer.direction[i];
    const excess = projection - Math.min(hi, Math.max(lo, projection));
    for (let i = 0; i < row.length; i++) row[i] -= excess * steer.direction[i];
    return;
  }
  if (isClamp(steer)) {
    const change = steer.value - featureActivation(steer.feature, row);
    for (let i = 0; i < row.length; i++) row[i] += change * steer.feature.decoder[i];
    return;
  }
  for (let i = 0; i < row.length; i++) row[i] += steer.delta[i];
}

function embed(w: LmWeights, input: ReferenceInput): Float64Array {
  const D = w.config.dModel;
  if (input.embeds !== undefined) {
    if (input.ids !== undefined || input.embeds.length % D !== 0)
      throw new AppError('invalid_input', `give ids or embeds [S, ${D}], not both`);
    return Float64Array.from(input.embeds);
  }
  const ids = input.ids ?? [];
  const h = new Float64Array(ids.length * D);
  ids.forEach((id, s) => {
    if (!Number.isInteger(id) || id < 0 || id >= w.config.vocabSize)
      throw new AppError('invalid_input', `token id ${id} outside the vocabulary 0..${w.config.vocabSize - 1}`);
    for (let i = 0; i < D; i++) h[s * D + i] = w.tensors.embed[id * D + i];
  });
  return h;
}

function rmsNorm(h: Float64Array, S: number, D: number, weight: Float32Array, eps: number): Float64Array {
  const out = new Float64Array(S * D);
  for (let s = 0; s < S; s++) {
    let sum = 0;
    for (let i = 0; i < D; i++) sum += h[s * D + i] ** 2;
    const scale = 1 / Math.sqrt(sum / D + eps);
    for (let i = 0; i < D; i++) out[s * D + i] = h[s * D + i] * scale * weight[i];
  }
  return out;
}

/** x [rows, inDim] times an nn.Linear weight [outDim, inDim] (stored as in the checkpoint). */
function linear(x: Float64Array, rows: number, inDim: number, weight: Float32Array, outDim: number): Float64Array {
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = 0;
      for (let i = 0; i < inDim; i++) sum += x[r * inDim + i] * weight[o * inDim + i];
      out[r * outDim + o] = sum;
    }
  }
  return out;
}

function addInto(h: Float64Array, delta: Float64Array): void {
  for (let i = 0; i < h.length; i++) h[i] += delta[i];
}

/** transformers' rotate_half convention: pair i is (x[i], x[i + headDim/2]), turned by position*invFreq[i]. */
function rotate(x: Float64Array, S: number, heads: number, headDim: number, invFreq: Float64Array): void {
  const half = headDim / 2;
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < half; i++) {
      const angle = s * invFreq[i];
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      for (let hd = 0; hd < heads; hd++) {
        const base = (s * heads + hd) * headDim;
        const a = x[base + i];
        const b = x[base + i + half];
        x[base + i] = a * cos - b * sin;
        x[base + i + half] = b * cos + a * sin;
      }
    }
  }
}

/** Causal grouped-query attention; with a sliding window, query s sees keys j with s - window < j <= s. */
function attention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  S: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  window?: number,
): Float64Array {
  const out = new Float64Array(S * nHeads * headDim);
  const group = nHeads / nKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const scores = new Float64Array(S);
  for (let hd = 0; hd < nHeads; hd++) {
    const kv = Math.floor(hd / group);
    for (let s = 0; s < S; s++) {
      const first = window === undefined ? 0 : Math.max(0, s - window + 1);
      let max = -Infinity;
      for (let j = first; j <= s; j++) {
        let dot = 0;
        for (let i = 0; i < headDim; i++)
          dot += q[(s * nHeads + hd) * headDim + i] * k[(j * nKvHeads + kv) * headDim + i];
        scores[j] = dot * scale;
        max = Math.max(max, scores[j]);
      }
      let total = 0;
      for (let j = first; j <= s; j++) total += scores[j] = Math.exp(scores[j] - max);
      for (let j = first; j <= s; j++) {
        const p = scores[j] / total;
        for (let i = 0; i < headDim; i++)
          out[(s * nHeads + hd) * headDim + i] += p * v[(j * nKvHeads + kv) * headDim + i];
      }
    }
  }
  return out;
}
