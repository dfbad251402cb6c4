// The decoder's norms and rotary as ONNX Runtime contrib ops (issue 13's `fused` build option):
// SkipSimplifiedLayerNormalization (residual add + RMSNorm in one pass over the row),
// SimplifiedLayerNormalization (RMSNorm), RotaryEmbedding and GroupQueryAttention. They compute the
// same maths as the standard-op chains in lm-decoder.ts; tests/lm/fused-decoder.test.ts holds the two
// graphs together.
import type { LmConfig } from '../lm/config.js';
import { FLOAT, type GraphBuilder, MS_DOMAIN } from './onnx-builder.js';

/** RMSNorm of x [..., D] with weight [D] (ORT registers SimplifiedLayerNormalization in the ONNX domain). */
export function fusedRmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  return g.node('SimplifiedLayerNormalization', [x, weight], 1, { axis: -1, epsilon: { float: eps } })[0];
}

/** sum = h + skip and RMSNorm(sum) in one kernel: { normed, sum }. */
export function fusedSkipRmsNorm(
  g: GraphBuilder,
  h: string,
  skip: string,
  weight: string,
  eps: number,
): { normed: string; sum: string } {
  const normed = g.fresh('skipnorm');
  const sum = g.fresh('residual');
  // Outputs 1 and 2 (mean, inverse std) are optional and unused: empty names leave them out.
  g.node(
    'SkipSimplifiedLayerNormalization',
    [h, skip, weight],
    [normed, '', '', sum],
    { epsilon: { float: eps } },
    MS_DOMAIN,
  );
  return { normed, sum };
}

export interface RotaryTables {
  /** int64 [B, S]: the row of the tables for each token, 0 .. B*S-1 in order */
  index: string;
  /** [B*S, headDim/2] */
  cos: string;
  sin: string;
}

/**
 * cos/sin for exactly this pass's tokens, indexed by a running number instead of the position:
 * RotaryEmbedding reads cos_cache[position_ids[b, s]], so the table needs no maximum position (the
 * config has none we trust) and costs what the standard graph's tables cost, one row per token.
 */
export function rotaryTablesByToken(
  g: GraphBuilder,
  positionIds: string,
  invFreq: string,
  i64: (values: number[]) => string,
): RotaryTables {
  const positions = g.op('Cast', [g.op('Reshape', [positionIds, i64([-1, 1])])], { to: FLOAT }); // [B*S, 1]
  const angles = g.op('Mul', [positions, invFreq]); // [B*S, half]
  const count = g.op('Size', [positionIds]);
  const index = g.op('Reshape', [
    g.op('Range', [g.int64Scalar(0), count, g.int64Scalar(1)]),
    g.op('Shape', [positionIds]),
  ]);
  return { index, cos: g.op('Cos', [angles]), sin: g.op('Sin', [angles]) };
}

/** Rotate x [B, S, nHeads * headDim] (rotate_half layout, not interleaved). */
export function fusedRotary(g: GraphBuilder, x: string, tables: RotaryTables, nHeads: number): string {
  return g.node(
    'RotaryEmbedding',
    [x, tables.index, tables.cos, tables.sin],
    1,
    { interleaved: 0, num_heads: nHeads },
    MS_DOMAIN,
  )[0];
}

/**
 * Attention over the KV cache with GroupQueryAttention, from rotated q [B, S, nHeads*hd] and k, v
 * [B, S, nKv*hd]; writes the present K/V to `presentNames` and returns [B, S, nHeads*hd].
 *
 * GroupQueryAttention reads each row's keys as 0 .. seqlens_k[b], a right-padded layout; our cache is
 * left-padded. Telling it every row is the full T long (seqlens_k = T-1) and masking the padding,
 * causality and sliding window through attention_bias (lm-decoder.ts's [B, 1, 1, S, T] bias, squeezed
 * to [B, 1, S, T]) gives the same scores, so the cache layout and the steering stay as they are.
 * Rotary stays outside (do_rotary 0): its positions come from position_ids, not from the cache index.
 */
export function groupQueryAttention(
  g: GraphBuilder,
  c: LmConfig,
  x: { q: string; k: string; v: string },
  past: { key: string; value: string },
  presentNames: string[],
  attentionMask: string,
  bias: string,
  i64: (values: number[]) => string,
): string {
  const INT32 = 6;
  const T = g.op('Cast', [g.op('Shape', [attentionMask], { start: 1, end: 2 })], { to: INT32 }); // [1]
  const batch = g.op('Shape', [attentionMask], { start: 0, end: 1 });
  const seqlens = g.op('Expand', [g.op('Sub', [T, g.op('Cast', [i64([1])], { to: INT32 })]), batch]); // [B]
  const total = g.op('Squeeze', [T, i64([0])]); // scalar
  const bias4 = g.op('Squeeze', [bias, i64([2])]);
  const merged = g.fresh('gqa');
  g.node(
    'GroupQueryAttention',
    [x.q, x.k, x.v, past.key, past.value, seqlens, total, '', '', '', bias4],
    [merged, ...presentNames],
    { num_heads: c.nHeads, kv_num_heads: c.nKvHeads, scale: { float: 1 / Math.sqrt(c.headDim) } },
    MS_DOMAIN,
  );
  return merged;
}
