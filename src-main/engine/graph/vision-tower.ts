// LLaVA-NeXT's CLIP vision tower and projector as one ONNX graph (issue 14), standard opset-17 ops so it
// runs on any provider: Conv for the patch embedding, LayerNormalization, MatMul attention without a
// mask (every patch sees every patch), quick_gelu as x * Sigmoid(1.702 x), and the projector's exact
// GELU as 0.5 x (1 + Erf(x / sqrt 2)) (Gelu is an op only from opset 20). The tower stops at
// vision_feature_layer, so layers after it are never built. VisionTowerOptions builds the same maths
// with com.microsoft contrib ops instead (for bench:capture's comparison; off by default).
//
// Input   pixel_values float [N, 3, T, T]: N tiles (the base image and the anyres grid, any images)
// Output  image_features float [N, n, textD]: n = patches (+1 with strategy 'full'), before packing
import { positionsPerTile, type VisionLayer, type VisionWeights } from '../vision/weights.js';
import { transpose } from '../sae-model.js';
import { FLOAT, GraphBuilder, MS_DOMAIN } from './onnx-builder.js';

/**
 * Other layouts of the encoder layer, each the same maths (tests/vision/vision-tower.test.ts holds them
 * to the reference); bench:capture times them against the default with BENCH_TOWER_VARIANTS. None is
 * the default: on CPU none was measurably faster (the tower is ~90% MatMul kernel time, and ORT already
 * fuses quick_gelu and the attention scale), see the README's Benchmarks.
 */
export interface VisionTowerOptions {
  /**
   * 'standard' (default): Q, K, V MatMuls, MatMul attention; 'fused-qkv': one [D, 3D] MatMul split in
   * three; 'mha': that, then com.microsoft MultiHeadAttention; 'attention': com.microsoft Attention
   * (projection and attention in one kernel).
   */
  attention?: VisionAttention;
  /** each residual add and the LayerNorm after it as com.microsoft SkipLayerNormalization */
  skipNorm?: boolean;
}

export type VisionAttention = 'standard' | 'fused-qkv' | 'mha' | 'attention';

export interface VisionTowerModel {
  bytes: Uint8Array;
  positionsPerTile: number;
}

export function buildVisionTowerModel(w: VisionWeights, options: VisionTowerOptions = {}): VisionTowerModel {
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

  const attention = options.attention ?? 'standard';
  // Only MatMul attention reads these (ORT warns about unused initializers).
  const matMulAttention = attention === 'standard' || attention === 'fused-qkv';
  const headsShape = matMulAttention ? g.int64s('heads_shape', [0, S, heads, hd]) : '';
  const mergedShape = matMulAttention ? g.int64s('merged_shape', [0, S, D]) : '';
  const scale = matMulAttention ? g.scalar(1 / Math.sqrt(hd)) : '';
  const quick = g.scalar(1.702);
  /** h + delta and LayerNorm of it: { sum, normed } */
  const addAndNorm = (h: string, delta: string | undefined, name: string, weight: Float32Array, bias: Float32Array) => {
    if (!delta) return { sum: h, normed: norm(h, name, weight, bias) };
    if (!options.skipNorm) {
      const sum = g.op('Add', [h, delta]);
      return { sum, normed: norm(sum, name, weight, bias) };
    }
    const [normed, sum] = [g.fresh('skipnorm'), g.fresh('residual')];
    // Outputs 1 and 2 (mean, inverse std) are optional and unused: empty names leave them out.
    g.node(
      'SkipLayerNormalization',
      [h, delta, g.floats(`${name}_w`, weight, [D]), g.floats(`${name}_b`, bias, [D])],
      [normed, '', '', sum],
      { epsilon: { float: c.layerNormEps } },
      MS_DOMAIN,
    );
    return { sum, normed };
  };
  /** [N, S, D] -> attention's merged heads [N, S, D], before out_proj */
  const selfAttention = (x: string, layer: VisionLayer, L: number): string => {
    const qkvWeight = () => concat([layer.q, layer.k, layer.v]); // [3D, D] as nn.Linear stores it
    const qkvBias = () => concat([layer.qBias, layer.kBias, layer.vBias]);
    if (attention === 'attention') {
      const weight = g.floats(`l${L}_qkv`, transpose(qkvWeight(), 3 * D, D), [D, 3 * D]);
      const bias = g.floats(`l${L}_qkv_bias`, qkvBias(), [3 * D]);
      return g.node('Attention', [x, weight, bias], 1, { num_heads: heads }, MS_DOMAIN)[0];
    }
    const [qx, kx, vx] =
      attention === 'standard'
        ? [
            linear(x, `l${L}_q`, layer.q, layer.qBias, D, D),
            linear(x, `l${L}_k`, layer.k, layer.kBias, D, D),
            linear(x, `l${L}_v`, layer.v, layer.vBias, D, D),
          ]
        : g.node('Split', [linear(x, `l${L}_qkv`, qkvWeight(), qkvBias(), 3 * D, D)], 3, { axis: -1 });
    if (attention === 'mha') return g.node('MultiHeadAttention', [qx, kx, vx], 1, { num_heads: heads }, MS_DOMAIN)[0];
    const split = (y: string) => g.op('Transpose', [g.op('Reshape', [y, headsShape])], { perm: [0, 2, 1, 3] });
    const scores = g.op('Mul', [
      g.op('MatMul', [split(qx), g.op('Transpose', [split(kx)], { perm: [0, 1, 3, 2] })]),
      scale,
    ]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), split(vx)]);
    return g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), mergedShape]);
  };

  // Each layer's closing residual add is done by the next layer's first norm (one SkipLayerNormalization).
  let pending: string | undefined;
  w.layers.forEach((layer, L) => {
    const first = addAndNorm(h, pending, `l${L}_norm1`, layer.norm1Weight, layer.norm1Bias);
    const attended = linear(selfAttention(first.normed, layer, L), `l${L}_o`, layer.o, layer.oBias, D, D);
    const second = addAndNorm(first.sum, attended, `l${L}_norm2`, layer.norm2Weight, layer.norm2Bias);
    h = second.sum;
    const up = linear(second.normed, `l${L}_fc1`, layer.fc1, layer.fc1Bias, F, D);
    const act =
      c.hiddenAct === 'quick_gelu' ? g.op('Mul', [up, g.op('Sigmoid', [g.op('Mul', [up, quick])])]) : gelu(g, up);
    pending = linear(act, `l${L}_fc2`, layer.fc2, layer.fc2Bias, D, F);
  });
  if (pending) h = g.op('Add', [h, pending]);

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

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
