// LLaVA-NeXT's CLIP vision tower and projector as one ONNX graph (issue 14), standard opset-17 ops so it
// runs on any provider: Conv for the patch embedding, LayerNormalization, MatMul attention without a
// mask (every patch sees every patch), quick_gelu as x * Sigmoid(1.702 x), and the projector's exact
// GELU as 0.5 x (1 + Erf(x / sqrt 2)) (Gelu is an op only from opset 20). The tower stops at
// vision_feature_layer, so layers after it are never built.
//
// Input   pixel_values float [N, 3, T, T]: N tiles (the base image and the anyres grid, any images)
// Output  image_features float [N, n, textD]: n = patches (+1 with strategy 'full'), before packing
import { positionsPerTile, type VisionWeights } from '../vision/weights.js';
import { transpose } from '../sae-model.js';
import { FLOAT, GraphBuilder } from './onnx-builder.js';

export interface VisionTowerModel {
  bytes: Uint8Array;
  positionsPerTile: number;
}

export function buildVisionTowerModel(w: VisionWeights): VisionTowerModel {
  const c = w.config;
  const D = c.hiddenSize;
  const F = c.intermediateSize;
  const T = c.textHiddenSize;
  const side = c.imageSize / c.patchSize;
  const S = side * side + 1;
  const heads = c.nHeads;
  const hd = D / heads;
  const g = new GraphBuilder();
  const pixels = g.input('pixel_values', FLOAT, ['tiles', 3, c.imageSize, c.imageSize]);
  const linear = (x: string, name: string, weight: Float32Array, bias: Float32Array, outDim: number, inDim: number) =>
    g.op('Add', [
      g.op('MatMul', [x, g.floats(name, transpose(weight, outDim, inDim), [inDim, outDim])]),
      g.floats(`${name}_bias`, bias, [outDim]),
    ]);
  const norm = (x: string, name: string, weight: Float32Array, bias: Float32Array) =>
    g.op('LayerNormalization', [x, g.floats(`${name}_w`, weight, [D]), g.floats(`${name}_b`, bias, [D])], {
      axis: -1,
      epsilon: { float: c.layerNormEps },
    });

  // [N, D, side, side] -> [N, side*side, D], CLS in front, positions added
  const conv = g.op('Conv', [pixels, g.floats('patch_embedding', w.patchEmbedding, [D, 3, c.patchSize, c.patchSize])], {
    kernel_shape: [c.patchSize, c.patchSize],
    strides: [c.patchSize, c.patchSize],
  });
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.int64s('patch_shape', [0, D, side * side])])], {
    perm: [0, 2, 1],
  });
  const tileCount = g.op('Shape', [pixels], { start: 0, end: 1 });
  const clsShape = g.op('Concat', [tileCount, g.int64s('cls_tail', [1, D])], { axis: 0 });
  const cls = g.op('Expand', [g.floats('class_embedding', w.classEmbedding, [1, 1, D]), clsShape]);
  const embedded = g.op('Add', [
    g.op('Concat', [cls, patches], { axis: 1 }),
    g.floats('position_embedding', w.positionEmbedding, [1, S, D]),
  ]);
  let h = norm(embedded, 'pre_layrnorm', w.preNormWeight, w.preNormBias);

  const headsShape = g.int64s('heads_shape', [0, S, heads, hd]);
  const mergedShape = g.int64s('merged_shape', [0, S, D]);
  const scale = g.scalar(1 / Math.sqrt(hd));
  const quick = g.scalar(1.702);
  w.layers.forEach((layer, L) => {
    const x = norm(h, `l${L}_norm1`, layer.norm1Weight, layer.norm1Bias);
    const split = (name: string, weight: Float32Array, bias: Float32Array) =>
      g.op('Transpose', [g.op('Reshape', [linear(x, `l${L}_${name}`, weight, bias, D, D), headsShape])], {
        perm: [0, 2, 1, 3],
      });
    const q = split('q', layer.q, layer.qBias);
    const k = split('k', layer.k, layer.kBias);
    const v = split('v', layer.v, layer.vBias);
    const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), scale]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), mergedShape]);
    h = g.op('Add', [h, linear(merged, `l${L}_o`, layer.o, layer.oBias, D, D)]);
    const y = norm(h, `l${L}_norm2`, layer.norm2Weight, layer.norm2Bias);
    const up = linear(y, `l${L}_fc1`, layer.fc1, layer.fc1Bias, F, D);
    const act =
      c.hiddenAct === 'quick_gelu' ? g.op('Mul', [up, g.op('Sigmoid', [g.op('Mul', [up, quick])])]) : gelu(g, up);
    h = g.op('Add', [h, linear(act, `l${L}_fc2`, layer.fc2, layer.fc2Bias, D, F)]);
  });

  const selected =
    c.selectStrategy === 'default'
      ? g.op('Slice', [
          h,
          g.int64s('drop_cls_start', [1]),
          g.int64s('drop_cls_end', [S]),
          g.int64s('drop_cls_axis', [1]),
        ])
      : h;
  const mid = gelu(g, linear(selected, 'projector_1', w.projector1, w.projector1Bias, T, D));
  const features = linear(mid, 'projector_2', w.projector2, w.projector2Bias, T, T);
  g.node('Identity', [features], ['image_features']);
  const n = positionsPerTile(c);
  g.output('image_features', FLOAT, ['tiles', n, T]);
  return { bytes: g.encode('llava_next_vision'), positionsPerTile: n };
}

/** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)), transformers' "gelu". */
function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [erf, g.scalar(1)])]);
}
