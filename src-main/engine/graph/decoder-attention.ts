// The decoder graph's attention pieces (graph/lm-decoder.ts): the additive mask for left padding,
// causality and a sliding window, the rotary tables, and grouped-query attention over the KV cache.
import type { LmConfig } from '../lm/config.js';
import { FLOAT, type GraphBuilder } from './onnx-builder.js';

/** Where a pass's K/V cache comes from and what its present K/V are called (lm-decoder.ts DecoderPass). */
export interface KvCacheNames {
  past?: { key: string; value: string }[];
  presentName?: (kind: 'key' | 'value', layer: number) => string;
}

// A masked score: finite so that a row with nothing to attend to (a padding query) gives a uniform
// softmax instead of NaN; its output is never read.
const MASKED = -1e9;

/** [B, S, n * headDim] -> [B, n, S, headDim] */
export function toHeads(
  g: GraphBuilder,
  x: string,
  n: number,
  headDim: number,
  i64: (values: number[]) => string,
): string {
  return g.op('Transpose', [g.op('Reshape', [x, i64([0, 0, n, headDim])])], { perm: [0, 2, 1, 3] });
}

/**
 * Layer L's attention from rotated q (already scaled) [B, nHeads, S, hd] and k, v [B, nKv, S, hd]:
 * appends the present K/V and returns the heads merged back to [B, S, nHeads * hd].
 */
export function emitAttention(
  g: GraphBuilder,
  c: LmConfig,
  pass: KvCacheNames,
  L: number,
  q: string,
  k: string,
  v: string,
  bias: string,
  present: { key: string; value: string }[],
  i64: (values: number[]) => string,
): string {
  const { nHeads, nKvHeads, headDim } = c;
  const named = (kind: 'key' | 'value') => (pass.presentName ? [pass.presentName(kind, L)] : 1);
  const presentKey = pass.past
    ? g.node('Concat', [pass.past[L].key, k], named('key'), { axis: 2 })[0]
    : g.node('Identity', [k], named('key'))[0];
  const presentValue = pass.past
    ? g.node('Concat', [pass.past[L].value, v], named('value'), { axis: 2 })[0]
    : g.node('Identity', [v], named('value'))[0];
  present.push({ key: presentKey, value: presentValue });

  // Grouped-query attention without copying K/V per head: q [B, nKv, group, S, hd] against
  // k [B, nKv, 1, hd, T] broadcasts over the group.
  const axis2 = i64([2]);
  const qGrouped = g.op('Reshape', [q, i64([0, nKvHeads, nHeads / nKvHeads, -1, headDim])]);
  const kT = g.op('Transpose', [g.op('Unsqueeze', [presentKey, axis2])], { perm: [0, 1, 2, 4, 3] });
  const scores = g.op('Add', [g.op('MatMul', [qGrouped, kT]), bias]);
  const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), g.op('Unsqueeze', [presentValue, axis2])]);
  return g.op('Reshape', [
    g.op('Transpose', [g.op('Reshape', [context, i64([0, nHeads, -1, headDim])])], { perm: [0, 2, 1, 3] }),
    i64([0, 0, nHeads * headDim]),
  ]);
}

/**
 * [B, 1, 1, S, T] additive mask: 0 where query s (cache index T-S+s) may see key j, MASKED elsewhere.
 * A key is visible when it is not padding, not in the future and, with a sliding window, fewer than
 * `window` cache indices back (transformers: kv_idx > q_idx - sliding_window). Cache indices equal
 * positions within a row because padding is on the left, where it is masked anyway.
 */
export function attentionBias(
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
  if (window !== undefined)
    allowed = g.op('And', [allowed, g.op('Greater', [keyIndex, g.op('Sub', [queryIndex, i64Scalar(window)])])]);
  const notPadding = g.op('Unsqueeze', [g.op('Equal', [attentionMask, i64Scalar(1)]), i64([1])]); // [B, 1, T]
  allowed = g.op('And', [allowed, notPadding]); // [B, S, T]
  const bias = g.op('Where', [allowed, g.scalar(0), g.scalar(MASKED)]);
  return g.op('Unsqueeze', [bias, i64([1, 2])]);
}

/** cos and sin of position * inv_freq, duplicated over both halves of a head: each [B, 1, S, headDim]. */
export function rotaryTables(
  g: GraphBuilder,
  positionIds: string,
  invFreq: string,
  i64: (values: number[]) => string,
): { cos: string; sin: string } {
  const positions = g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: FLOAT }), i64([-1])]); // [B, S, 1]
  const freqs = g.op('Mul', [positions, invFreq]);
  const angles = g.op('Unsqueeze', [g.op('Concat', [freqs, freqs], { axis: -1 }), i64([1])]);
  return { cos: g.op('Cos', [angles]), sin: g.op('Sin', [angles]) };
}
