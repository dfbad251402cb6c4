// LLaVA-NeXT's CLIP vision tower and projector as one ONNX graph (issue 14), standard opset-17 ops so it
// runs on any provider: Conv for the patch embedding, LayerNormalization, MatMul attention without a
// mask (every patch sees every patch), quick_gelu as x * Sigmoid(1.702 x), and the projector's exact
// GELU as 0.5 x (1 + Erf(x / sqrt 2)) (Gelu is an op only from opset 20). The tower stops at
// vision_feature_layer, so layers after it are never built. Weights are in-memory initializers, or a
// cache entry (vision/tower-cache.ts) read as ONNX external data: CLIP-L is 1.2 GB of fp32.
//
// Input   pixel_values float [N, 3, T, T]: N tiles (the base image and the anyres grid, any images)
// Output  image_features float [N, n, textD]: n = patches (+1 with strategy 'full'), before packing
import { type CachedVisionTower, IMAGE_NEWLINE } from '../vision/tower-cache.js';
import { positionsPerTile, towerInitializers, type VisionWeights } from '../vision/weights.js';
import { transpose } from '../sae-model.js';
import { FLOAT, GraphBuilder } from './onnx-builder.js';

export interface VisionTowerModel {
  bytes: Uint8Array;
  positionsPerTile: number;
  /** folder holding the external-data file of a cached tower (give it to createSession) */
  externalDataFolder?: string;
}

/** Declares every tower initializer under the names towerInitializers gives them. */
function declareTower(g: GraphBuilder, w: VisionWeights | CachedVisionTower): void {
  if ('manifest' in w) {
    const { tensors, dataFile } = w.manifest;
    for (const [name, t] of Object.entries(tensors))
      if (name !== IMAGE_NEWLINE)
        g.external(name, FLOAT, t.dims, { location: dataFile, offset: t.offset, length: t.length });
  } else {
    for (const t of towerInitializers(w)) {
      const data = t.linear ? transpose(t.source, t.dims[1], t.dims[0]) : t.source;
      g.floats(t.name, data, t.dims);
    }
  }
}

export function buildVisionTowerModel(w: VisionWeights | CachedVisionTower): VisionTowerModel {
  const c = w.config;
  const D = c.hiddenSize;
  const side = c.imageSize / c.patchSize;
  const S = side * side + 1;
  const heads = c.nHeads;
  const hd = D / heads;
  const g = new GraphBuilder();
  declareTower(g, w);
  const pixels = g.input('pixel_values', FLOAT, ['tiles', 3, c.imageSize, c.imageSize]);
  const linear = (x: string, name: string) => g.op('Add', [g.op('MatMul', [x, name]), `${name}_bias`]);
  const norm = (x: string, name: string) =>
    g.op('LayerNormalization', [x, `${name}_w`, `${name}_b`], { axis: -1, epsilon: { float: c.layerNormEps } });

  // [N, D, side, side] -> [N, side*side, D], CLS in front, positions added
  const conv = g.op('Conv', [pixels, 'patch_embedding'], {
    kernel_shape: [c.patchSize, c.patchSize],
    strides: [c.patchSize, c.patchSize],
  });
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.int64s('patch_shape', [0, D, side * side])])], {
    perm: [0, 2, 1],
  });
  const tileCount = g.op('Shape', [pixels], { start: 0, end: 1 });
  const clsShape = g.op('Concat', [tileCount, g.int64s('cls_tail', [1, D])], { axis: 0 });
  const cls = g.op('Expand', ['class_embedding', clsShape]);
  const embedded = g.op('Add', [g.op('Concat', [cls, patches], { axis: 1 }), 'position_embedding']);
  let h = norm(embedded, 'pre_layrnorm');

  const headsShape = g.int64s('heads_shape', [0, S, heads, hd]);
  const mergedShape = g.int64s('merged_shape', [0, S, D]);
  const scale = g.scalar(1 / Math.sqrt(hd));
  const quick = g.scalar(1.702);
  for (let L = 0; L < c.featureLayer; L++) {
    const x = norm(h, `l${L}_norm1`);
    const split = (name: string) =>
      g.op('Transpose', [g.op('Reshape', [linear(x, `l${L}_${name}`), headsShape])], { perm: [0, 2, 1, 3] });
    const q = split('q');
    const k = split('k');
    const v = split('v');
    const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), scale]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), mergedShape]);
    h = g.op('Add', [h, linear(merged, `l${L}_o`)]);
    const y = norm(h, `l${L}_norm2`);
    const up = linear(y, `l${L}_fc1`);
    const act =
      c.hiddenAct === 'quick_gelu' ? g.op('Mul', [up, g.op('Sigmoid', [g.op('Mul', [up, quick])])]) : gelu(g, up);
    h = g.op('Add', [h, linear(act, `l${L}_fc2`)]);
  }

  const selected =
    c.selectStrategy === 'default'
      ? g.op('Slice', [
          h,
          g.int64s('drop_cls_start', [1]),
          g.int64s('drop_cls_end', [S]),
          g.int64s('drop_cls_axis', [1]),
        ])
      : h;
  const mid = gelu(g, linear(selected, 'projector_1'));
  const features = linear(mid, 'projector_2');
  g.node('Identity', [features], ['image_features']);
  const n = positionsPerTile(c);
  g.output('image_features', FLOAT, ['tiles', n, c.textHiddenSize]);
  return {
    bytes: g.encode('llava_next_vision'),
    positionsPerTile: n,
    ...('manifest' in w ? { externalDataFolder: w.folder } : {}),
  };
}

/** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)), transformers' "gelu". */
function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [erf, g.scalar(1)])]);
}
