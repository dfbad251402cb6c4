// The decoder's norms and rotary as ONNX Runtime contrib ops (issue 13's `fused` build option):
// SkipSimplifiedLayerNormalization (residual add + RMSNorm in one pass over the row),
// SimplifiedLayerNormalization (RMSNorm) and RotaryEmbedding. They compute the same maths as the
// standard-op chains in lm-decoder.ts; tests/lm/fused-decoder.test.ts holds the two graphs together.
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
