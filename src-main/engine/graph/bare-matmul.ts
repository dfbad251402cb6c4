// A single MatMul [N, dIn] x [dIn, dSae]: the floor the full encoder is benchmarked against.
// Its dense output is intended: the benchmark measures the ratio, not a product path. With `topK`
// the output is reduced in the graph (MatMul then TopK, values and indices [N, topK]), the
// like-for-like floor for an encoder whose dense pre-activations never leave the graph either.
// With `external`, W is read by ORT from its bytes in an existing file (e.g. an SAE's W_enc in
// sae_weights.safetensors), so a 512 MiB matrix is not rebuilt in JS.
import { basename, dirname } from 'node:path';
import { FLOAT, GraphBuilder, INT64 } from './onnx-builder.js';

export interface BareMatMulOptions {
  weights?: Float32Array;
  /** W [dIn, dSae] as F32 little-endian at `offset` in `path` */
  external?: { path: string; offset: number; length: number };
  /** reduce the output in the graph to the top `topK` per row */
  topK?: number;
}

export interface BareMatMulModel {
  bytes: Uint8Array;
  externalDataFolder?: string;
}

export function buildBareMatMulModel(dIn: number, dSae: number, weights?: Float32Array): Uint8Array {
  return buildBareMatMul(dIn, dSae, weights ? { weights } : {}).bytes;
}

export function buildBareMatMul(dIn: number, dSae: number, options: BareMatMulOptions = {}): BareMatMulModel {
  const g = new GraphBuilder();
  const x = g.input('x', FLOAT, ['N', dIn]);
  let w: string;
  if (options.external) {
    const { path, offset, length } = options.external;
    if (length !== dIn * dSae * 4)
      throw new Error(`buildBareMatMul: external W has ${length} bytes, expected ${dIn}x${dSae} F32`);
    w = g.externalFloats('W', [dIn, dSae], { location: basename(path), offset, length });
  } else {
    const W =
      options.weights ?? new Float32Array(dIn * dSae).map((_, i) => (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.1);
    if (W.length !== dIn * dSae) throw new Error(`buildBareMatMulModel: weights length ${W.length} != ${dIn}x${dSae}`);
    w = g.floats('W', W, [dIn, dSae]);
  }
  if (options.topK === undefined) {
    g.node('MatMul', [x, w], ['y']);
    g.output('y', FLOAT, ['N', dSae]);
  } else {
    const y = g.op('MatMul', [x, w]);
    g.node('TopK', [y, g.int64s('K', [options.topK])], ['values', 'indices'], { axis: -1, largest: 1, sorted: 1 });
    g.output('values', FLOAT, ['N', options.topK]);
    g.output('indices', INT64, ['N', options.topK]);
  }
  const model: BareMatMulModel = { bytes: g.encode('bare_matmul') };
  if (options.external) model.externalDataFolder = dirname(options.external.path);
  return model;
}
