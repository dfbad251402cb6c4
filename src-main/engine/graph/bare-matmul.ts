// A single MatMul [N, dIn] x [dIn, dSae]: the floor the full encoder is benchmarked against.
// Its dense output is intended: the benchmark measures the ratio, not a product path.
import { FLOAT, GraphBuilder } from './onnx-builder.js';

export function buildBareMatMulModel(dIn: number, dSae: number, weights?: Float32Array): Uint8Array {
  const W = weights ?? new Float32Array(dIn * dSae).map((_, i) => (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.1);
  if (W.length !== dIn * dSae) throw new Error(`buildBareMatMulModel: weights length ${W.length} != ${dIn}x${dSae}`);
  const g = new GraphBuilder();
  const x = g.input('x', FLOAT, ['N', dIn]);
  g.node('MatMul', [x, g.floats('W', W, [dIn, dSae])], ['y']);
  g.output('y', FLOAT, ['N', dSae]);
  return g.encode('bare_matmul');
}
