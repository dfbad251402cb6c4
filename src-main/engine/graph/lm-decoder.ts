// A Llama/Mistral decoder as one ONNX graph with a KV cache and steering inputs (issue 13), built with
// standard opset-17 ops so it runs on any provider; contrib ops come in only where a test shows they
// agree and are faster. MatMulNBits carries the quantised weights. `fused: true` swaps in
// SkipSimplifiedLayerNormalization, RotaryEmbedding and GroupQueryAttention (tests/lm/fused-decoder.test.ts:
// same logits and tokens); it stays off by default because on CPU it is not measurably faster: a decode
// step is 90-97% linear-layer MatMul, and GroupQueryAttention with an attention bias costs more than
// the standard attention (bench:generate with BENCH_PROFILE=1, README Benchmarks).
//
// Inputs   input_ids int64 [B, S] (or inputs_embeds float [B, S, D], for LLaVA's image features; or, with
//          input 'mixed', both: input_ids, inputs_embeds and embeds_mask float [B, S], the embeddings
//          taking the place of the ids' rows where the mask is 1. inputs_embeds and embeds_mask
//          broadcast, so a batch with no image feeds them as [1, 1, D] and [1, 1] zeros)
//          attention_mask int64 [B, T]: 1 for real tokens over past + current (T = P + S), 0 for padding
//          position_ids int64 [B, S]: rotary positions (left padding: cumsum(mask) - 1)
//          past_key_<l>, past_value_<l> float [B, nKv, P, headDim] (P = 0 on the prefill)
//          steer_delta_<L> float [B, D] and steer_mask_<L> float [B, S] per steerable layer: the graph adds
//          mask[b, s] * delta[b] to the residual stream entering block L. They are inputs, not
//          initializers, because onnxruntime-node cannot override initializers; zeros mean no steer.
//          With `projection` (default), also steer_dir_<L> float [B, D] (unit v, or zeros) and
//          steer_lo_<L>, steer_hi_<L> float [B]: on masked positions, after the add, the projection
//          p = h.v is clipped to [lo, hi] (h -= (p - clip(p)) v): directional ablation is [0, 0], a
//          projection cap [-inf, c]; a zero direction changes nothing.
// Outputs  logits float [B, V] (last position) or [B, S, V]; present_key_<l>, present_value_<l>
//          [B, nKv, T, headDim]; hidden_<L> [B, S, D] for each captured layer (after its steer).
//
// Weights come from graph/decoder-weights.ts: in-memory initializers (the small models the tests and
// the demo build) or a cache entry read as external data, fp32, fp16 or MatMulNBits-quantised.
import type { LmConfig } from '../lm/config.js';
import { checkSteerLayer } from '../lm/steering.js';
import type { Precision } from '../lm/weight-cache.js';
import {
  type DecoderWeightNames,
  type DecoderWeights,
  declareDecoderWeights,
  emitLinear,
  isCached,
  precisionOf,
} from './decoder-weights.js';
import { attentionBias, emitAttention, rotaryTables, toHeads } from './decoder-attention.js';
import { declareSteerInputs, emitSteer, type SteerTensorNames, steerInputNames } from './decoder-steer.js';
import { fusedRmsNorm, fusedRotary, fusedSkipRmsNorm, groupQueryAttention, rotaryTablesByToken } from './fused-ops.js';
import { FLOAT, GraphBuilder, INT64 } from './onnx-builder.js';

export { type DecoderWeightNames, declareDecoderWeights } from './decoder-weights.js';
export { CLAMP_PARAM_COLUMNS, declareSteerInputs, type SteerTensorNames, steerInputNames } from './decoder-steer.js';

export interface DecoderBuildOptions {
  /**
   * token ids (default), input embeddings, or 'mixed': ids with embeddings in chosen positions
   * (LLaVA-NeXT: one session serves text and image prompts, and the embedding table stays in the
   * graph, cached or quantised like the rest, so no second copy of the weights is ever built)
   */
  input?: DecoderInput;
  /** logits for the last position only (default; what decoding needs) or for every position */
  logits?: 'last' | 'all';
  /** layers that get steer_delta_<L> / steer_mask_<L> inputs; default every layer */
  steerLayers?: readonly number[];
  /** layers whose residual stream (entering the block) is an output hidden_<L> */
  captureLayers?: readonly number[];
  /**
   * How hidden_<L> is reduced in the graph (only the reduction crosses to host): 'none' (default)
   * [B, S, D]; 'mean' over the positions where the input capture_mask [B, S] is 1, [B, D] (zeros for a
   * row with none); 'rows' the rows of those positions [N, D], in (batch, position) order, with
   * capture_index int64 [N, 2] saying which.
   */
  captureReduce?: CaptureReduce;
  /** give steerable layers the projection-clip inputs too (ablation, cap); default true */
  projection?: boolean;
  /** give steerable layers the SAE-feature clamp inputs too; default false */
  clamp?: boolean;
  /** MatMulNBits accuracy_level for quantised weights (decoder-weights.ts NBitsOptions); default 0 */
  accuracyLevel?: 0 | 4;
  /**
   * Norms, rotary and attention as ORT contrib ops (graph/fused-ops.ts: SkipSimplifiedLayerNormalization,
   * SimplifiedLayerNormalization, RotaryEmbedding, GroupQueryAttention) instead of standard-op
   * chains; the same logits (residuals at padding positions differ, and are never read).
   * Default false: not measurably faster on CPU (see the header and the README's Benchmarks).
   */
  fused?: boolean;
}

export type CaptureReduce = 'none' | 'mean' | 'rows';
export type DecoderInput = 'ids' | 'embeds' | 'mixed';

export interface DecoderModel {
  bytes: Uint8Array;
  config: LmConfig;
  input: DecoderInput;
  logits: 'last' | 'all';
  steerLayers: number[];
  captureLayers: number[];
  captureReduce?: CaptureReduce;
  projection: boolean;
  clamp?: boolean;
  /** the precision of the weights (fp32 for in-memory weights) */
  precision?: Precision;
  /** folder holding the external-data file of cached weights (give it to createSession) */
  externalDataFolder?: string;
  inputNames: string[];
  outputNames: string[];
}

export interface DecoderPass {
  /** residual stream [B, S, D] entering block 0 */
  h: string;
  /** int64 [B, T] */
  attentionMask: string;
  /** int64 [B, S] */
  positionIds: string;
  /** past K/V per layer; absent on a prefill with no cache (present is then this pass's K/V) */
  past?: { key: string; value: string }[];
  steer: Map<number, SteerTensorNames>;
  captureLayers: readonly number[];
  /** names to give the present K/V and captured tensors (fresh names otherwise) */
  presentName?: (kind: 'key' | 'value', layer: number) => string;
  /** contrib-op norms and rotary (DecoderBuildOptions.fused) */
  fused?: boolean;
}

export interface DecoderPassResult {
  /** residual stream [B, S, D] after the last block (before the final norm) */
  h: string;
  present: { key: string; value: string }[];
  /** layer -> [B, S, D] entering the block, after its steer */
  hidden: Map<number, string>;
}

/** The decoder blocks, emitted into g (a model's graph or a Loop body) over weights declared in its scope. */
export function emitDecoderPass(
  g: GraphBuilder,
  c: LmConfig,
  weights: DecoderWeightNames,
  pass: DecoderPass,
): DecoderPassResult {
  const { dModel: D, nHeads, nKvHeads, headDim, nLayers } = c;
  const i64 = (values: number[]) => g.int64s(g.fresh('i64'), values);
  const i64Scalar = (value: number) => {
    const name = g.fresh('i64s');
    g.initializers.push({ name, dataType: INT64, dims: [], int64Data: [value] });
    return name;
  };
  const bias = attentionBias(g, pass.attentionMask, pass.positionIds, c.slidingWindow, i64, i64Scalar);
  if (pass.fused) return emitFusedPass(g, c, weights, pass, bias, i64);
  const { cos, sin } = rotaryTables(g, pass.positionIds, weights.invFreq, i64);
  const rmsNorm = (x: string, weight: string) => {
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, g.scalar(c.rmsNormEps)])])]);
    return g.op('Mul', [g.op('Mul', [x, inv]), weight]);
  };
  const rotate = (x: string) => {
    // transformers' rotate_half: (x1, x2) -> (-x2, x1) over the two halves of each head.
    const [x1, x2] = g.node('Split', [x], 2, { axis: -1 });
    const rotated = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };
  const heads = (x: string, n: number) => toHeads(g, x, n, headDim, i64);
  const present: { key: string; value: string }[] = [];
  const hidden = new Map<number, string>();

  let h = pass.h;
  for (let L = 0; L < nLayers; L++) {
    const steer = pass.steer.get(L);
    if (steer) h = emitSteer(g, h, steer, D, i64);
    if (pass.captureLayers.includes(L)) hidden.set(L, h);
    const layer = weights.layers[L];
    const x = rmsNorm(h, layer.inputNorm);
    // Scaling q by 1/sqrt(headDim) before the product is the same maths with fewer multiplies.
    const q = g.op('Mul', [rotate(heads(emitLinear(g, x, layer.q), nHeads)), g.scalar(1 / Math.sqrt(headDim))]);
    const k = rotate(heads(emitLinear(g, x, layer.k), nKvHeads));
    const v = heads(emitLinear(g, x, layer.v), nKvHeads);
    const merged = emitAttention(g, c, pass, L, q, k, v, bias, present, i64);
    h = g.op('Add', [h, emitLinear(g, merged, layer.o)]);

    const y = rmsNorm(h, layer.postAttentionNorm);
    const gate = emitLinear(g, y, layer.gate);
    const up = emitLinear(g, y, layer.up);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]); // SiLU(gate) * up
    h = g.op('Add', [h, emitLinear(g, act, layer.down)]);
  }
  return { h, present, hidden };
}

/**
 * emitDecoderPass with contrib-op norms and rotary. Each block's closing residual add is held back
 * and done by the next block's input norm (SkipSimplifiedLayerNormalization) unless that block is
 * steered: a steer sits between the add and the norm, so there the add and norm stay apart.
 */
function emitFusedPass(
  g: GraphBuilder,
  c: LmConfig,
  weights: DecoderWeightNames,
  pass: DecoderPass,
  bias: string,
  i64: (values: number[]) => string,
): DecoderPassResult {
  const { dModel: D, nHeads, nKvHeads, headDim, nLayers, rmsNormEps: eps } = c;
  const tables = rotaryTablesByToken(g, pass.positionIds, weights.invFreq, i64);
  const present: { key: string; value: string }[] = [];
  const hidden = new Map<number, string>();
  let h = pass.h;
  let pending: string | undefined; // the last block's MLP output, not yet added to h
  for (let L = 0; L < nLayers; L++) {
    const layer = weights.layers[L];
    const steer = pass.steer.get(L);
    let x: string;
    if (pending && !steer) {
      ({ normed: x, sum: h } = fusedSkipRmsNorm(g, h, pending, layer.inputNorm, eps));
    } else {
      if (pending) h = g.op('Add', [h, pending]);
      if (steer) h = emitSteer(g, h, steer, D, i64);
      x = fusedRmsNorm(g, h, layer.inputNorm, eps);
    }
    if (pass.captureLayers.includes(L)) hidden.set(L, h);
    const q = fusedRotary(g, emitLinear(g, x, layer.q), tables, nHeads);
    const k = fusedRotary(g, emitLinear(g, x, layer.k), tables, nKvHeads);
    const v = emitLinear(g, x, layer.v);
    let merged: string;
    if (pass.past) {
      const names = (['key', 'value'] as const).map(
        (kind) => pass.presentName?.(kind, L) ?? g.fresh(`present_${kind}`),
      );
      merged = groupQueryAttention(g, c, { q, k, v }, pass.past[L], names, pass.attentionMask, bias, i64);
      present.push({ key: names[0], value: names[1] });
    } else {
      // A pass with no cache input (a Loop's prefill): GroupQueryAttention wants one, so the standard path.
      const scaled = g.op('Mul', [toHeads(g, q, nHeads, headDim, i64), g.scalar(1 / Math.sqrt(headDim))]);
      const heads = (x: string) => toHeads(g, x, nKvHeads, headDim, i64);
      merged = emitAttention(g, c, pass, L, scaled, heads(k), heads(v), bias, present, i64);
    }
    const { normed: y, sum } = fusedSkipRmsNorm(g, h, emitLinear(g, merged, layer.o), layer.postAttentionNorm, eps);
    h = sum;
    const gate = emitLinear(g, y, layer.gate);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), emitLinear(g, y, layer.up)]);
    pending = emitLinear(g, act, layer.down);
  }
  if (pending) h = g.op('Add', [h, pending]);
  return { h, present, hidden };
}

/** Final norm and lm_head on [B, D] or [B, S, D]. */
export function emitLogits(
  g: GraphBuilder,
  c: LmConfig,
  weights: DecoderWeightNames,
  h: string,
  name?: string,
): string {
  const meanSquare = g.op('ReduceMean', [g.op('Mul', [h, h])], { axes: [-1], keepdims: 1 });
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, g.scalar(c.rmsNormEps)])])]);
  const normed = g.op('Mul', [g.op('Mul', [h, inv]), weights.finalNorm]);
  return emitLinear(g, normed, weights.lmHead, name);
}

export function buildDecoderModel(w: DecoderWeights, options: DecoderBuildOptions = {}): DecoderModel {
  const c = w.config;
  const { dModel: D, nKvHeads, headDim, vocabSize: V, nLayers } = c;
  const input = options.input ?? 'ids';
  const logitsMode = options.logits ?? 'last';
  const steerLayers = [...new Set(options.steerLayers ?? Array.from({ length: nLayers }, (_, i) => i))].sort(
    (a, b) => a - b,
  );
  const captureLayers = [...new Set(options.captureLayers ?? [])].sort((a, b) => a - b);
  const captureReduce = options.captureReduce ?? 'none';
  const projection = options.projection !== false;
  const clamp = options.clamp === true;
  for (const L of [...steerLayers, ...captureLayers]) checkSteerLayer(L, nLayers);

  const g = new GraphBuilder();
  const weights = declareDecoderWeights(g, w, {
    embed: input !== 'embeds',
    ...(options.accuracyLevel !== undefined ? { accuracyLevel: options.accuracyLevel } : {}),
  });
  const i64 = (values: number[]) => g.int64s(g.fresh('i64'), values);
  const h = input === 'embeds' ? g.input('inputs_embeds', FLOAT, ['B', 'S', D]) : embedIds(g, weights, input, D);
  const attentionMask = g.input('attention_mask', INT64, ['B', 'T']);
  const positionIds = g.input('position_ids', INT64, ['B', 'S']);
  const past: { key: string; value: string }[] = [];
  for (let l = 0; l < nLayers; l++) {
    past.push({
      key: g.input(`past_key_${l}`, FLOAT, ['B', nKvHeads, 'P', headDim]),
      value: g.input(`past_value_${l}`, FLOAT, ['B', nKvHeads, 'P', headDim]),
    });
  }
  const steer = new Map<number, SteerTensorNames>();
  for (const L of steerLayers)
    steer.set(L, declareSteerInputs(g, L, D, { projection, clamp }, g.input(`steer_mask_${L}`, FLOAT, ['B', 'S'])));
  const captureMask =
    captureReduce !== 'none' && captureLayers.length > 0 ? g.input('capture_mask', FLOAT, ['B', 'S']) : undefined;

  const pass = emitDecoderPass(g, c, weights, {
    h,
    attentionMask,
    positionIds,
    past,
    steer,
    captureLayers,
    presentName: (kind, l) => `present_${kind}_${l}`,
    fused: options.fused === true,
  });
  const outputs: string[] = [];
  for (let l = 0; l < nLayers; l++) {
    g.output(`present_key_${l}`, FLOAT, ['B', nKvHeads, 'T', headDim]);
    g.output(`present_value_${l}`, FLOAT, ['B', nKvHeads, 'T', headDim]);
    outputs.push(`present_key_${l}`, `present_value_${l}`);
  }
  for (const [L, hidden] of pass.hidden) {
    emitCapture(g, hidden, `hidden_${L}`, D, captureReduce, captureMask, i64);
    outputs.push(`hidden_${L}`);
  }
  if (captureReduce === 'rows' && captureMask) {
    g.node('NonZero', [g.op('Greater', [captureMask, g.scalar(0)])], ['capture_index_t']);
    g.node('Transpose', ['capture_index_t'], ['capture_index'], { perm: [1, 0] });
    g.output('capture_index', INT64, ['N', 2]);
    outputs.push('capture_index');
  }

  // Left padding keeps every row's last token at position S-1, so "last" is one Gather.
  const last = logitsMode === 'last' ? g.op('Gather', [pass.h, g.int64Scalar(-1)], { axis: 1 }) : pass.h;
  emitLogits(g, c, weights, last, 'logits');
  g.output('logits', FLOAT, logitsMode === 'last' ? ['B', V] : ['B', 'S', V]);

  const inputNames = [
    ...(input === 'embeds' ? ['inputs_embeds'] : ['input_ids']),
    ...(input === 'mixed' ? ['inputs_embeds', 'embeds_mask'] : []),
    'attention_mask',
    'position_ids',
    ...past.flatMap((_, l) => [`past_key_${l}`, `past_value_${l}`]),
    ...steerLayers.flatMap((L) => {
      const [delta, ...rest] = steerInputNames(L, { projection, clamp });
      return [delta, `steer_mask_${L}`, ...rest];
    }),
    ...(captureMask ? ['capture_mask'] : []),
  ];
  return {
    bytes: g.encode('lm_decoder'),
    config: c,
    input,
    logits: logitsMode,
    steerLayers,
    captureLayers,
    captureReduce,
    projection,
    clamp,
    precision: precisionOf(w),
    ...(isCached(w) ? { externalDataFolder: w.folder } : {}),
    inputNames,
    outputNames: ['logits', ...outputs],
  };
}

/** The token embeddings of input_ids; with 'mixed', replaced by inputs_embeds where embeds_mask is 1. */
function embedIds(g: GraphBuilder, weights: DecoderWeightNames, input: 'ids' | 'mixed', D: number): string {
  const tokens = g.op('Gather', [weights.embed, g.input('input_ids', INT64, ['B', 'S'])], { axis: 0 });
  if (input === 'ids') return tokens;
  // Their own dim names: they broadcast ([1, 1, D] and [1, 1] zeros when no row has embeddings).
  const embeds = g.input('inputs_embeds', FLOAT, ['EB', 'ES', D]);
  const mask = g.input('embeds_mask', FLOAT, ['MB', 'MS']);
  const where = g.op('Unsqueeze', [g.op('Greater', [mask, g.scalar(0)]), g.int64s(g.fresh('axis'), [-1])]);
  return g.op('Where', [where, embeds, tokens]);
}

/** hidden [B, S, D] to the named output, reduced over capture_mask as asked. */
function emitCapture(
  g: GraphBuilder,
  hidden: string,
  name: string,
  D: number,
  reduce: CaptureReduce,
  mask: string | undefined,
  i64: (values: number[]) => string,
): void {
  if (reduce === 'none' || !mask) {
    g.node('Identity', [hidden], [name]);
    g.output(name, FLOAT, ['B', 'S', D]);
    return;
  }
  if (reduce === 'mean') {
    const weights = g.op('Unsqueeze', [mask, i64([-1])]); // [B, S, 1]
    const sum = g.op('ReduceSum', [g.op('Mul', [hidden, weights]), i64([1])], { keepdims: 0 }); // [B, D]
    const count = g.op('Max', [g.op('ReduceSum', [mask, i64([1])], { keepdims: 1 }), g.scalar(1)]); // [B, 1]
    g.node('Div', [sum, count], [name]);
    g.output(name, FLOAT, ['B', D]);
    return;
  }
  // NonZero lists (b, s) pairs in row-major order; GatherND picks those rows of [B, S, D].
  const index = g.op('Transpose', [g.op('NonZero', [g.op('Greater', [mask, g.scalar(0)])])], { perm: [1, 0] });
  g.node('GatherND', [hidden, index], [name]);
  g.output(name, FLOAT, ['N', D]);
}
