// An SAE encoder that returns the activations of a chosen list of features (input `features`, int64
// [F]) for every row: acts [N, F]. Mining uses it at the end to fill the per-token / per-patch arrays
// of the chosen examples without a dense [N, d_sae] crossing into JS.
//
// ReLU, JumpReLU and gated SAEs act on each feature independently, so only the chosen columns of
// W_enc are gathered and multiplied: cost N x d_in x F instead of N x d_in x d_sae. A TopK SAE's
// output depends on all pre-activations (is the feature in the row's top k?), so there the full
// encoder runs and the chosen columns are gathered from its scattered output.
import type { SaeWeights } from '../sae-model.js';
import { basename, dirname } from 'node:path';
import { FLOAT, GraphBuilder, INT64 } from './onnx-builder.js';
import { encoderMatMul, preprocessInput } from './sae-encoder.js';

export interface SelectedModel {
  bytes: Uint8Array;
  externalDataFolder?: string;
}

/** `decoderNorms` is needed only for TopK SAEs with rescale_acts_by_decoder_norm. */
export function buildSelectedFeaturesModel(
  w: SaeWeights,
  options: { external?: boolean; decoderNorms?: Float32Array } = {},
): SelectedModel {
  const { dIn, dSae } = w;
  const g = new GraphBuilder();
  const x = preprocessInput(g, w, g.input('x', FLOAT, ['N', dIn]));
  const features = g.input('features', INT64, ['F']);
  const zero = () => g.scalar(0);
  const pick = (name: string, data: Float32Array) =>
    g.op('Gather', [g.floats(name, data, [dSae]), features], { axis: 0 });
  let externalDataFolder: string | undefined;
  let acts: string;

  if (w.architecture === 'topk') {
    const full = encoderMatMul(g, w, x, options.external !== false);
    externalDataFolder = full.externalDataFolder;
    let h = g.op('Add', [full.pre, g.floats('b_enc', w.b_enc, [dSae])]);
    if (w.rescaleActsByDecoderNorm) h = g.op('Mul', [h, g.floats('dec_norms', options.decoderNorms!, [dSae])]);
    const [values, indices] = g.node('TopK', [h, g.int64s('k_arch', [Math.min(w.k!, dSae)])], 2, {
      axis: -1,
      largest: 1,
      sorted: 1,
    });
    const dense = g.op(
      'ScatterElements',
      [g.op('ConstantOfShape', [g.op('Shape', [h])]), indices, g.op('Relu', [values])],
      { axis: 1 },
    );
    acts = g.op('Gather', [dense, features], { axis: 1 });
  } else {
    const ext = options.external !== false ? w.external?.W_enc : undefined;
    let pre: string;
    if (ext) {
      externalDataFolder = dirname(ext.path);
      const slice = { location: basename(ext.path), offset: ext.offset, length: ext.length };
      // Gather whole rows of W_enc^T [d_sae, d_in] (contiguous, one memcpy per feature): gathering
      // columns of [d_in, d_sae] copies d_in scattered floats per feature and ran at ~10 GFLOP/s
      // overall for the paper's SAE. A SAELens-layout W_enc is transposed by a Transpose of the
      // initializer, which ORT folds once at session creation.
      const wT =
        ext.layout === 'dIn_dSae'
          ? g.op('Transpose', [g.externalFloats('W_enc', [dIn, dSae], slice)], { perm: [1, 0] })
          : g.externalFloats('W_enc_t', [dSae, dIn], slice);
      pre = g.op('Gemm', [x, g.op('Gather', [wT, features], { axis: 0 })], { transB: 1 });
    } else {
      const wT = g.op('Transpose', [g.floats('W_enc', w.W_enc, [dIn, dSae])], { perm: [1, 0] });
      pre = g.op('Gemm', [x, g.op('Gather', [wT, features], { axis: 0 })], { transB: 1 });
    }
    if (w.architecture === 'relu') acts = g.op('Relu', [g.op('Add', [pre, pick('b_enc', w.b_enc)])]);
    else if (w.architecture === 'jumprelu') {
      const h = g.op('Add', [pre, pick('b_enc', w.b_enc)]);
      acts = g.op('Where', [g.op('Greater', [h, pick('threshold', w.threshold!)]), g.op('Relu', [h]), zero()]);
    } else {
      const gate = g.op('Greater', [g.op('Add', [pre, pick('b_gate', w.b_gate!)]), zero()]);
      const mag = g.op('Relu', [
        g.op('Add', [g.op('Mul', [pre, pick('exp_r_mag', w.r_mag!.map(Math.exp))]), pick('b_mag', w.b_mag!)]),
      ]);
      acts = g.op('Where', [gate, mag, zero()]);
    }
  }
  g.node('Identity', [acts], ['acts']);
  g.output('acts', FLOAT, ['N', 'F']);
  const model: SelectedModel = { bytes: g.encode('sae_selected_features') };
  if (externalDataFolder !== undefined) model.externalDataFolder = externalDataFolder;
  return model;
}
