// Builds an SAE encoder as an ONNX graph whose outputs are already reduced: per row, the K largest
// feature activations (values [N, K] float) and their feature ids (indices [N, K] int64). Every ORT
// output is copied to host, so a dense [N, d_sae] never leaves the graph.
//
// Weights: W_enc may be an external-data initializer pointing at its bytes in the original file
// (F32 safetensors, stored torch/npz zip entries). When it is stored [d_sae, d_in] (nn.Linear,
// sparsify) we use Gemm(transB=1) instead of transposing, so external data still applies. Everything
// else (biases, thresholds, decoder norms) is small and goes in-memory. When W_enc is not F32 on disk
// (F16/BF16, deflated zip) or `external: false`, W_enc is an in-memory initializer too.
import { basename, dirname } from 'node:path';
import { decoderRowNorms } from '../reference.js';
import type { SaeWeights } from '../sae-model.js';
import { FLOAT, GraphBuilder, INT64 } from './onnx-builder.js';

export interface EncoderBuildOptions {
  /**
   * How many top features per row to return: a number bakes K into the graph; 'input' makes K a
   * graph input `k` (int64 [1]) so one session serves any K <= d_sae (the worker uses this).
   */
  topK: number | 'input';
  /** use ONNX external data for W_enc when the weights allow it (default true) */
  external?: boolean;
  /**
   * Also count every firing, not only the top K (ReLU, JumpReLU and gated SAEs: a token may fire
   * more features than K). Adds an input `image` (float [N], 1 for an image row, 0 otherwise) and an
   * output `counts` (float [2, d_sae]: firings over all rows, then over image rows). A TopK SAE fires
   * at most its own k per row, all of them in the output once K >= k, so it gets neither.
   */
  counts?: boolean;
}

export interface EncoderModel {
  bytes: Uint8Array;
  /** folder the session must read external data from; absent when all weights are in `bytes` */
  externalDataFolder?: string;
  /** K baked in (min(topK, dSae)), or 'input' when K is fed per run as `k` */
  topK: number | 'input';
  inputNames: ('x' | 'k' | 'image')[];
  outputNames: ('values' | 'indices' | 'counts')[];
}

const LAYER_NORM_EPS = 1e-5;

export function buildSaeEncoderModel(w: SaeWeights, options: EncoderBuildOptions): EncoderModel {
  const { dIn, dSae } = w;
  const dynamicK = options.topK === 'input';
  const K: number | 'input' =
    options.topK === 'input' ? 'input' : Math.min(Math.max(1, Math.floor(options.topK)), dSae);
  const g = new GraphBuilder();
  let x = g.input('x', FLOAT, ['N', dIn]);
  const k = dynamicK ? g.input('k', INT64, [1]) : g.int64s('K', [K as number]);

  x = preprocessInput(g, w, x);
  const { pre, externalDataFolder } = encoderMatMul(g, w, x, options.external !== false);

  const zero = () => g.scalar(0);
  let acts: string;
  switch (w.architecture) {
    case 'relu':
      acts = g.op('Relu', [g.op('Add', [pre, g.floats('b_enc', w.b_enc, [dSae])])]);
      break;
    case 'jumprelu': {
      const h = g.op('Add', [pre, g.floats('b_enc', w.b_enc, [dSae])]);
      const open = g.op('Greater', [h, g.floats('threshold', w.threshold!, [dSae])]);
      acts = g.op('Where', [open, g.op('Relu', [h]), zero()]);
      break;
    }
    case 'gated': {
      // x (W_enc * exp(r_mag)) == (x W_enc) * exp(r_mag): one MatMul serves both paths.
      const gate = g.op('Greater', [g.op('Add', [pre, g.floats('b_gate', w.b_gate!, [dSae])]), zero()]);
      const expR = g.floats('exp_r_mag', w.r_mag!.map(Math.exp), [dSae]);
      const mag = g.op('Relu', [g.op('Add', [g.op('Mul', [pre, expR]), g.floats('b_mag', w.b_mag!, [dSae])])]);
      acts = g.op('Where', [gate, mag, zero()]);
      break;
    }
    case 'topk': {
      let h = g.op('Add', [pre, g.floats('b_enc', w.b_enc, [dSae])]);
      if (w.rescaleActsByDecoderNorm)
        h = g.op('Mul', [h, g.floats('dec_norms', Float32Array.from(decoderRowNorms(w)), [dSae])]);
      const kArch = Math.min(w.k!, dSae);
      if (typeof K === 'number' && K <= kArch) {
        // The top K of the SAE's top k are the top K of h: a single TopK, then the ReLU.
        const [values, indices] = g.node('TopK', [h, k], 2, { axis: -1, largest: 1, sorted: 1 });
        g.node('Relu', [values], ['values']);
        g.node('Identity', [indices], ['indices']);
        return finish(g, K, externalDataFolder);
      }
      // K > k: scatter the k activations into zeros so the remaining slots are ordinary zeros.
      const [values, indices] = g.node('TopK', [h, g.int64s('k_arch', [kArch])], 2, {
        axis: -1,
        largest: 1,
        sorted: 1,
      });
      const zeros = g.op('ConstantOfShape', [g.op('Shape', [h])]);
      acts = g.op('ScatterElements', [zeros, indices, g.op('Relu', [values])], { axis: 1 });
      break;
    }
  }
  g.node('TopK', [acts, k], ['values', 'indices'], { axis: -1, largest: 1, sorted: 1 });
  if (options.counts && w.architecture !== 'topk') {
    // Sign(acts) is 1 where a feature fires (acts >= 0 here); [1; image] [2, N] x fired [N, d_sae]
    // sums it over all rows and over image rows in one small MatMul.
    const image = g.input('image', FLOAT, ['N']);
    const ones = g.op('Add', [g.op('Mul', [image, zero()]), g.scalar(1)]);
    const axis0 = g.int64s('axis0', [0]);
    const mask = g.op('Concat', [g.op('Unsqueeze', [ones, axis0]), g.op('Unsqueeze', [image, axis0])], { axis: 0 });
    g.node('MatMul', [mask, g.op('Sign', [acts])], ['counts']);
    g.output('counts', FLOAT, [2, dSae]);
    return finish(g, K, externalDataFolder, true);
  }
  return finish(g, K, externalDataFolder);
}

function finish(
  g: GraphBuilder,
  K: number | 'input',
  externalDataFolder: string | undefined,
  counts = false,
): EncoderModel {
  const kDim = K === 'input' ? 'K' : K;
  g.output('values', FLOAT, ['N', kDim]);
  g.output('indices', INT64, ['N', kDim]);
  const model: EncoderModel = {
    bytes: g.encode('sae_encoder'),
    topK: K,
    inputNames: [
      ...(K === 'input' ? (['x', 'k'] as const) : (['x'] as const)),
      ...(counts ? (['image'] as const) : []),
    ],
    outputNames: ['values', 'indices', ...(counts ? (['counts'] as const) : [])],
  };
  if (externalDataFolder !== undefined) model.externalDataFolder = externalDataFolder;
  return model;
}

/** SAELens' process_sae_in, with our inputScale first: scale, normalise, subtract b_dec. */
export function preprocessInput(g: GraphBuilder, w: SaeWeights, input: string): string {
  const { dIn } = w;
  let x = input;
  if (w.inputScale !== undefined && w.inputScale !== 1) x = g.op('Mul', [x, g.scalar(w.inputScale)]);
  if (w.normalizeActivations === 'constant_norm_rescale') {
    const norm = g.op('ReduceL2', [x], { axes: [-1], keepdims: 1 });
    x = g.op('Mul', [x, g.op('Div', [g.scalar(Math.sqrt(dIn)), norm])]);
  } else if (w.normalizeActivations === 'layer_norm') {
    // SAELens: (x - mean) / (std + eps), std unbiased (torch default).
    const centred = g.op('Sub', [x, g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 })]);
    const sumSq = g.op('ReduceSumSquare', [centred], { axes: [-1], keepdims: 1 });
    const std = g.op('Sqrt', [g.op('Div', [sumSq, g.scalar(dIn - 1)])]);
    x = g.op('Div', [centred, g.op('Add', [std, g.scalar(LAYER_NORM_EPS)])]);
  }
  if (w.applyBDecToInput) x = g.op('Sub', [x, g.floats('b_dec', w.b_dec, [dIn])]);
  return x;
}

/** x W_enc, with W_enc as external data pointing into the original file when possible. */
export function encoderMatMul(
  g: GraphBuilder,
  w: SaeWeights,
  x: string,
  external: boolean,
): { pre: string; externalDataFolder?: string } {
  const { dIn, dSae } = w;
  const ext = external ? w.external?.W_enc : undefined;
  if (!ext) return { pre: g.op('MatMul', [x, g.floats('W_enc', w.W_enc, [dIn, dSae])]) };
  const slice = { location: basename(ext.path), offset: ext.offset, length: ext.length };
  const pre =
    ext.layout === 'dIn_dSae'
      ? g.op('MatMul', [x, g.externalFloats('W_enc', [dIn, dSae], slice)])
      : g.op('Gemm', [x, g.externalFloats('W_enc_t', [dSae, dIn], slice)], { transB: 1 });
  return { pre, externalDataFolder: dirname(ext.path) };
}
