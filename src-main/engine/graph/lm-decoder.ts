// A Llama/Mistral decoder as one ONNX graph with a KV cache and steering inputs (issue 13), built with
// standard opset-17 ops so it runs on any provider; contrib ops (GroupQueryAttention, RotaryEmbedding,
// SkipSimplifiedLayerNormalization, MatMulNBits) come in only where a test shows they agree and are faster.
//
// Inputs   input_ids int64 [B, S] (or inputs_embeds float [B, S, D], for LLaVA's image features)
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
// Weights are in-memory initializers, nn.Linear weights transposed to [in, out] for MatMul: enough for
// the small models the tests and the demo build. Multi-GB checkpoints need external data or
// quantised MatMulNBits (later in issue 13; protobuf caps a model at 2 GB).
import type { LmConfig } from '../lm/config.js';
import type { LmWeights } from '../lm/folder.js';
import { ropeInverseFrequencies } from '../lm/rope.js';
import { checkSteerLayer } from '../lm/steering.js';
import { transpose } from '../sae-model.js';
import { FLOAT, GraphBuilder, INT64 } from './onnx-builder.js';

export interface DecoderBuildOptions {
  /** token ids (default) or input embeddings */
  input?: 'ids' | 'embeds';
  /** logits for the last position only (default; what decoding needs) or for every position */
  logits?: 'last' | 'all';
  /** layers that get steer_delta_<L> / steer_mask_<L> inputs; default every layer */
  steerLayers?: readonly number[];
  /** layers whose residual stream (entering the block) is an output hidden_<L> */
  captureLayers?: readonly number[];
  /** give steerable layers the projection-clip inputs too (ablation, cap); default true */
  projection?: boolean;
}

export interface DecoderModel {
  bytes: Uint8Array;
  config: LmConfig;
  input: 'ids' | 'embeds';
  logits: 'last' | 'all';
  steerLayers: number[];
  captureLayers: number[];
  projection: boolean;
  inputNames: string[];
  outputNames: string[];
}

// A masked score: finite so that a row with nothing to attend to (a padding query) gives a uniform
// softmax instead of NaN; its output is never read.
const MASKED = -1e9;

export function buildDecoderModel(w: LmWeights, options: DecoderBuildOptions = {}): DecoderModel {
  const c = w.config;
  const { dModel: D, nHeads, nKvHeads, headDim, ffnDim, vocabSize: V, nLayers } = c;
  const input = options.input ?? 'ids';
  const logitsMode = options.logits ?? 'last';
  const steerLayers = [...new Set(options.steerLayers ?? Array.from({ length: nLayers }, (_, i) => i))].sort((a, b) => a - b);
  const captureLayers = [...new Set(options.captureLayers ?? [])].sort((a, b) => a - b);
  const projection = options.projection !== false;
  for (const L of [...steerLayers, ...captureLayers]) checkSteerLayer(L, nLayers);

  const g = new GraphBuilder();
  const t = w.tensors;
  const linearWeight = (name: string, weight: Float32Array, outDim: number, inDim: number) => g.floats(name, transpose(weight, outDim, inDim), [inDim, outDim]);
  const i64 = (values: number[]) => g.int64s(g.fresh('i64'), values);
  const i64Scalar = (value: number) => {
    const name = g.fresh('i64s');
    g.initializers.push({ name, dataType: INT64, dims: [], int64Data: [value] });
    return name;
  };

  let h: string;
  if (input === 'ids') {
    h = g.op('Gather', [g.floats('embed_tokens', t.embed, [V, D]), g.input('input_ids', INT64, ['B', 'S'])], { axis: 0 });
  } else {
    h = g.input('inputs_embeds', FLOAT, ['B', 'S', D]);
  }
  const attentionMask = g.input('attention_mask', INT64, ['B', 'T']);
  const positionIds = g.input('position_ids', INT64, ['B', 'S']);
  const past: { key: string; value: string }[] = [];
  for (let l = 0; l < nLayers; l++) {
    past.push({ key: g.input(`past_key_${l}`, FLOAT, ['B', nKvHeads, 'P', headDim]), value: g.input(`past_value_${l}`, FLOAT, ['B', nKvHeads, 'P', headDim]) });
  }
  const steerInputs = new Map<number, { delta: string; mask: string; dir?: string; lo?: string; hi?: string }>();
  for (const L of steerLayers) {
    steerInputs.set(L, {
      delta: g.input(`steer_delta_${L}`, FLOAT, ['B', D]),
      mask: g.input(`steer_mask_${L}`, FLOAT, ['B', 'S']),
      ...(projection
        ? { dir: g.input(`steer_dir_${L}`, FLOAT, ['B', D]), lo: g.input(`steer_lo_${L}`, FLOAT, ['B']), hi: g.input(`steer_hi_${L}`, FLOAT, ['B']) }
        : {}),
    });
  }

  const bias = attentionBias(g, attentionMask, positionIds, c.slidingWindow, i64, i64Scalar);
  const { cos, sin } = rotaryTables(g, positionIds, ropeInverseFrequencies(c), i64);
  const rmsNorm = (x: string, weight: Float32Array, name: string) => {
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, g.scalar(c.rmsNormEps)])])]);
    return g.op('Mul', [g.op('Mul', [x, inv]), g.floats(name, weight, [D])]);
  };
  const rotate = (x: string) => {
    // transformers' rotate_half: (x1, x2) -> (-x2, x1) over the two halves of each head.
    const [x1, x2] = g.node('Split', [x], 2, { axis: -1 });
    const rotated = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };
  const heads = (x: string, n: number) => g.op('Transpose', [g.op('Reshape', [x, i64([0, 0, n, headDim])])], { perm: [0, 2, 1, 3] });
  const group = nHeads / nKvHeads;
  const axis1 = i64([1]);
  const axis2 = i64([2]);
  const minus1 = i64([-1]);

  const outputs: string[] = [];
  for (let L = 0; L < nLayers; L++) {
    const steer = steerInputs.get(L);
    if (steer) {
      const mask = g.op('Unsqueeze', [steer.mask, minus1]); // [B, S, 1]
      h = g.op('Add', [h, g.op('Mul', [mask, g.op('Unsqueeze', [steer.delta, axis1])])]);
      if (steer.dir && steer.lo && steer.hi) {
        const dir = g.op('Unsqueeze', [steer.dir, axis1]); // [B, 1, D]
        const p = g.op('ReduceSum', [g.op('Mul', [h, dir]), minus1], { keepdims: 1 }); // [B, S, 1]
        const bound = (x: string) => g.op('Unsqueeze', [x, i64([1, 2])]); // [B, 1, 1]
        const clipped = g.op('Min', [g.op('Max', [p, bound(steer.lo)]), bound(steer.hi)]);
        h = g.op('Sub', [h, g.op('Mul', [g.op('Mul', [mask, g.op('Sub', [p, clipped])]), dir])]);
      }
    }
    if (captureLayers.includes(L)) {
      g.node('Identity', [h], [`hidden_${L}`]);
      g.output(`hidden_${L}`, FLOAT, ['B', 'S', D]);
      outputs.push(`hidden_${L}`);
    }
    const layer = t.layers[L];
    const x = rmsNorm(h, layer.inputNorm, `l${L}_input_norm`);
    // Scaling q by 1/sqrt(headDim) before the product is the same maths with fewer multiplies.
    const q = g.op('Mul', [rotate(heads(g.op('MatMul', [x, linearWeight(`l${L}_q`, layer.q, nHeads * headDim, D)]), nHeads)), g.scalar(1 / Math.sqrt(headDim))]);
    const k = rotate(heads(g.op('MatMul', [x, linearWeight(`l${L}_k`, layer.k, nKvHeads * headDim, D)]), nKvHeads));
    const v = heads(g.op('MatMul', [x, linearWeight(`l${L}_v`, layer.v, nKvHeads * headDim, D)]), nKvHeads);
    const presentKey = g.node('Concat', [past[L].key, k], [`present_key_${L}`], { axis: 2 })[0];
    const presentValue = g.node('Concat', [past[L].value, v], [`present_value_${L}`], { axis: 2 })[0];
    g.output(presentKey, FLOAT, ['B', nKvHeads, 'T', headDim]);
    g.output(presentValue, FLOAT, ['B', nKvHeads, 'T', headDim]);
    outputs.push(presentKey, presentValue);

    // Grouped-query attention without copying K/V per head: q [B, nKv, group, S, hd] against
    // k [B, nKv, 1, hd, T] broadcasts over the group.
    const qGrouped = g.op('Reshape', [q, i64([0, nKvHeads, group, -1, headDim])]);
    const kT = g.op('Transpose', [g.op('Unsqueeze', [presentKey, axis2])], { perm: [0, 1, 2, 4, 3] });
    const scores = g.op('Add', [g.op('MatMul', [qGrouped, kT]), bias]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), g.op('Unsqueeze', [presentValue, axis2])]);
    const merged = g.op('Reshape', [g.op('Transpose', [g.op('Reshape', [context, i64([0, nHeads, -1, headDim])])], { perm: [0, 2, 1, 3] }), i64([0, 0, nHeads * headDim])]);
    h = g.op('Add', [h, g.op('MatMul', [merged, linearWeight(`l${L}_o`, layer.o, D, nHeads * headDim)])]);

    const y = rmsNorm(h, layer.postAttentionNorm, `l${L}_post_attention_norm`);
    const gate = g.op('MatMul', [y, linearWeight(`l${L}_gate`, layer.gate, ffnDim, D)]);
    const up = g.op('MatMul', [y, linearWeight(`l${L}_up`, layer.up, ffnDim, D)]);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]); // SiLU(gate) * up
    h = g.op('Add', [h, g.op('MatMul', [act, linearWeight(`l${L}_down`, layer.down, D, ffnDim)])]);
  }

  // Left padding keeps every row's last token at position S-1, so "last" is one Gather.
  const last = logitsMode === 'last' ? g.op('Gather', [h, i64Scalar(-1)], { axis: 1 }) : h;
  const normed = rmsNorm(last, t.finalNorm, 'final_norm');
  g.node('MatMul', [normed, linearWeight('lm_head', t.lmHead, V, D)], ['logits']);
  g.output('logits', FLOAT, logitsMode === 'last' ? ['B', V] : ['B', 'S', V]);

  const inputNames = [
    input === 'ids' ? 'input_ids' : 'inputs_embeds',
    'attention_mask',
    'position_ids',
    ...past.flatMap((_, l) => [`past_key_${l}`, `past_value_${l}`]),
    ...steerLayers.flatMap((L) => [`steer_delta_${L}`, `steer_mask_${L}`, ...(projection ? [`steer_dir_${L}`, `steer_lo_${L}`, `steer_hi_${L}`] : [])]),
  ];
  return {
    bytes: g.encode('lm_decoder'),
    config: c,
    input,
    logits: logitsMode,
    steerLayers,
    captureLayers,
    projection,
    inputNames,
    outputNames: ['logits', ...outputs],
  };
}

/**
 * [B, 1, 1, S, T] additive mask: 0 where query s (cache index T-S+s) may see key j, MASKED elsewhere.
 * A key is visible when it is not padding, not in the future and, with a sliding window, fewer than
 * `window` cache indices back (transformers: kv_idx > q_idx - sliding_window). Cache indices equal
 * positions within a row because padding is on the left, where it is masked anyway.
 */
function attentionBias(
  g: GraphBuilder,
  attentionMask: string,
  positionIds: string,
  window: number | undefined,
  i64: (values: number[]) => string,
  i64Scalar: (value: number) => string,
): string {
  const axis0 = i64([0]);
  const T = g.op('Squeeze', [g.op('Shape', [attentionMask], { start: 1, end: 2 }), axis0]);
  const S = g.op('Squeeze', [g.op('Shape', [positionIds], { start: 1, end: 2 }), axis0]);
  const one = i64Scalar(1);
  const keyIndex = g.op('Unsqueeze', [g.op('Range', [i64Scalar(0), T, one]), axis0]); // [1, T]
  const queryIndex = g.op('Unsqueeze', [g.op('Range', [g.op('Sub', [T, S]), T, one]), i64([1])]); // [S, 1]
  let allowed = g.op('LessOrEqual', [keyIndex, queryIndex]); // [S, T]
  if (window !== undefined) allowed = g.op('And', [allowed, g.op('Greater', [keyIndex, g.op('Sub', [queryIndex, i64Scalar(window)])])]);
  const notPadding = g.op('Unsqueeze', [g.op('Equal', [attentionMask, i64Scalar(1)]), i64([1])]); // [B, 1, T]
  allowed = g.op('And', [allowed, notPadding]); // [B, S, T]
  const bias = g.op('Where', [allowed, g.scalar(0), g.scalar(MASKED)]);
  return g.op('Unsqueeze', [bias, i64([1, 2])]);
}

/** cos and sin of position * inv_freq, duplicated over both halves of a head: each [B, 1, S, headDim]. */
function rotaryTables(g: GraphBuilder, positionIds: string, invFreq: Float64Array, i64: (values: number[]) => string): { cos: string; sin: string } {
  const positions = g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: FLOAT }), i64([-1])]); // [B, S, 1]
  const freqs = g.op('Mul', [positions, g.floats('rope_inv_freq', Float32Array.from(invFreq), [invFreq.length])]);
  const angles = g.op('Unsqueeze', [g.op('Concat', [freqs, freqs], { axis: -1 }), i64([1])]);
  return { cos: g.op('Cos', [angles]), sin: g.op('Sin', [angles]) };
}
