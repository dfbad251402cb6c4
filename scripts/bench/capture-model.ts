// bench:capture's model: a LLaVA-NeXT config (llava-v1.6-mistral-7b-hf's shape by default, smaller for
// the test), random weights for the vision tower + projector and for a one-layer Mistral decoder built
// in memory (seeded xorshift, nothing downloaded), the FLOP count of one image through both, and one
// image run through the real engine path: the tower session, packImageFeatures, captureRows on a
// capture session (input 'embeds', captureReduce 'rows').
import { join } from 'node:path';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder';
import { buildVisionTowerModel } from '../../src-main/engine/graph/vision-tower';
import { captureRows } from '../../src-main/engine/lm/capture-run';
import { type LmConfig, parseLmConfig } from '../../src-main/engine/lm/config';
import type { DecoderSession } from '../../src-main/engine/lm/decode';
import type { LmWeights } from '../../src-main/engine/lm/folder';
import { createSession, ort } from '../../src-main/engine/session';
import { type VisionConfig, parseVisionConfig } from '../../src-main/engine/vision/config';
import { type ImageLayout, packedLayout, packImageFeatures } from '../../src-main/engine/vision/pack';
import { positionsPerTile, type VisionLayer, type VisionWeights } from '../../src-main/engine/vision/weights';
import { fillUniform } from './common';

/** The parts of a LLaVA-NeXT config.json the bench varies; defaults are llava-v1.6-mistral-7b-hf's. */
export interface CaptureShapeOptions {
  vision?: {
    hidden_size: number;
    intermediate_size: number;
    num_hidden_layers: number;
    num_attention_heads: number;
    image_size: number;
    patch_size: number;
  };
  text?: {
    hidden_size: number;
    intermediate_size: number;
    num_attention_heads: number;
    num_key_value_heads: number;
    vocab_size: number;
  };
  /** 'anyres': a square image of 2 x 2 tiles (672 x 672 at 336-pixel tiles) plus the base tile; 'base': the base tile only */
  tiles?: 'anyres' | 'base';
}

const CLIP_L_336 = {
  hidden_size: 1024,
  intermediate_size: 4096,
  num_hidden_layers: 24,
  num_attention_heads: 16,
  image_size: 336,
  patch_size: 14,
};
// Mistral-7B's text_config with one layer. The vocabulary only sizes lm_head, which the capture session
// applies to the last position of each image: 2 x 4096 x vocab FLOPs of ~10^12, so the bench keeps it
// small (the layer is what it measures) rather than hold another 0.5 GB of weights.
const MISTRAL_7B = {
  hidden_size: 4096,
  intermediate_size: 14336,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  vocab_size: 1024,
};

export interface CaptureShape {
  vision: VisionConfig;
  text: LmConfig;
  layout: ImageLayout;
  /** tiles per image: the base tile, plus the anyres grid */
  tiles: number;
  /** tower positions per tile, CLS included */
  towerPositions: number;
  /** positions the image becomes for the decoder (pack.ts packedLayout) */
  packedPositions: number;
}

export function captureShape(options: CaptureShapeOptions = {}): CaptureShape {
  const visionJson = options.vision ?? CLIP_L_336;
  const textJson = options.text ?? MISTRAL_7B;
  const json = {
    architectures: ['LlavaNextForConditionalGeneration'],
    vision_config: { ...visionJson, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5 },
    text_config: { model_type: 'mistral', num_hidden_layers: 1, ...textJson },
    vision_feature_layer: -2,
    vision_feature_select_strategy: 'default',
    image_grid_pinpoints: [[2 * visionJson.image_size, 2 * visionJson.image_size]],
  };
  const vision = parseVisionConfig(json);
  const text = parseLmConfig(json);
  const side = vision.imageSize;
  const layout: ImageLayout =
    options.tiles === 'base'
      ? { imageSize: [side, side], grid: [0, 0] }
      : { imageSize: [2 * side, 2 * side], grid: [2, 2] };
  const tiles = 1 + layout.grid[0] * layout.grid[1];
  const packedPositions = tiles === 1 ? positionsPerTile(vision) : packedLayout(layout, vision).count;
  return { vision, text, layout, tiles, towerPositions: (side / vision.patchSize) ** 2 + 1, packedPositions };
}

export interface CaptureFlops {
  /** the patch Conv, the encoder layers up to vision_feature_layer, the projector; all tiles */
  tower: number;
  /** one decoder layer over the packed positions, plus lm_head on the last */
  decoder: number;
  total: number;
}

/**
 * FLOPs of one image, 2 per multiply-add, matrix products only (norms, softmax, activations, bias adds
 * and rotary are elementwise, < 1% here). Per tile, with S tower positions (CLS included), n = S - 1
 * patches, D hidden, F MLP, p patch, T text hidden, Lv = vision_feature_layer layers run:
 *   tower = 2 n D 3p^2 + Lv (8 S D^2 + 4 S D F + 4 S^2 D) + 2 n (D T + T T)
 * (patch Conv; Q, K, V, O; fc1, fc2; scores and context; the projector's two linears). The decoder
 * layer over N packed positions, d model width, H heads, Hkv KV heads, h head width, Ff FFN, V vocab:
 *   decoder = 2 N d h (2 H + 2 Hkv) + 6 N d Ff + 4 N^2 H h + 2 d V
 * (Q, O, K, V; gate, up, down; scores and context over the whole N x N square, which the graph
 * computes before the causal mask zeroes half of it; lm_head on the last position).
 */
export function captureFlops(shape: CaptureShape): CaptureFlops {
  const v = shape.vision;
  const S = shape.towerPositions;
  const n = S - 1;
  const { hiddenSize: D, intermediateSize: F, patchSize: p, textHiddenSize: T } = v;
  const perTile =
    2 * n * D * 3 * p * p + v.featureLayer * (8 * S * D * D + 4 * S * D * F + 4 * S * S * D) + 2 * n * (D * T + T * T);
  const t = shape.text;
  const N = shape.packedPositions;
  const d = t.dModel;
  const decoder =
    2 * N * d * t.headDim * (2 * t.nHeads + 2 * t.nKvHeads) +
    6 * N * d * t.ffnDim +
    4 * N * N * t.nHeads * t.headDim +
    2 * d * t.vocabSize;
  const tower = shape.tiles * perTile;
  return { tower, decoder, total: tower + decoder };
}

/** Uniform weights with variance 1/fanIn (activations keep their scale through each linear layer). */
function random(state: { s: number }, length: number, fanIn: number): Float32Array {
  const out = new Float32Array(length);
  fillUniform(out, state, Math.sqrt(3 / fanIn));
  return out;
}

const ones = (n: number) => new Float32Array(n).fill(1);

export function randomVisionWeights(v: VisionConfig, seed: number): VisionWeights {
  const state = { s: seed };
  const { hiddenSize: D, intermediateSize: F, patchSize: p, textHiddenSize: T } = v;
  const S = (v.imageSize / p) ** 2 + 1;
  const small = (n: number) => random(state, n, 100);
  const layers: VisionLayer[] = Array.from({ length: v.featureLayer }, () => ({
    norm1Weight: ones(D),
    norm1Bias: small(D),
    q: random(state, D * D, D),
    qBias: small(D),
    k: random(state, D * D, D),
    kBias: small(D),
    v: random(state, D * D, D),
    vBias: small(D),
    o: random(state, D * D, D),
    oBias: small(D),
    norm2Weight: ones(D),
    norm2Bias: small(D),
    fc1: random(state, F * D, D),
    fc1Bias: small(F),
    fc2: random(state, D * F, F),
    fc2Bias: small(D),
  }));
  return {
    config: v,
    processor: {
      tileSize: v.imageSize,
      gridPinpoints: v.gridPinpoints,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
      rescaleFactor: 1 / 255,
    },
    patchEmbedding: random(state, D * 3 * p * p, 3 * p * p),
    classEmbedding: small(D),
    positionEmbedding: small(S * D),
    preNormWeight: ones(D),
    preNormBias: small(D),
    layers,
    projector1: random(state, T * D, D),
    projector1Bias: small(T),
    projector2: random(state, T * T, T),
    projector2Bias: small(T),
    imageNewline: small(T),
  };
}

export function randomDecoderWeights(c: LmConfig, seed: number): LmWeights {
  const state = { s: seed };
  const { dModel: d, nHeads, nKvHeads, headDim: h, ffnDim: Ff, vocabSize: V } = c;
  return {
    config: c,
    tensors: {
      embed: new Float32Array(0), // an inputs_embeds graph never reads the table
      finalNorm: ones(d),
      lmHead: random(state, V * d, d),
      layers: Array.from({ length: c.nLayers }, () => ({
        inputNorm: ones(d),
        q: random(state, nHeads * h * d, d),
        k: random(state, nKvHeads * h * d, d),
        v: random(state, nKvHeads * h * d, d),
        o: random(state, d * nHeads * h, nHeads * h),
        postAttentionNorm: ones(d),
        gate: random(state, Ff * d, d),
        up: random(state, Ff * d, d),
        down: random(state, d * Ff, Ff),
      })),
    },
  };
}

export interface CaptureSessions {
  shape: CaptureShape;
  tower: ort.InferenceSession;
  decoder: DecoderSession;
  imageNewline: Float32Array;
}

/**
 * Both sessions, built from random weights that are dropped once ORT holds its own copy. With
 * `profileDir`, ORT's profiler records every run into files there (endProfiling writes them).
 */
export async function captureSessions(
  shape: CaptureShape,
  threads: number,
  options: { seed?: number; profileDir?: string } = {},
): Promise<CaptureSessions> {
  const seed = options.seed ?? 0x51c0ffee;
  const open = async (bytes: Uint8Array, name: string) =>
    options.profileDir
      ? ort.InferenceSession.create(bytes, {
          executionProviders: ['cpu'],
          intraOpNumThreads: threads,
          graphOptimizationLevel: 'all',
          enableProfiling: true,
          profileFilePrefix: join(options.profileDir, name),
        })
      : (await createSession(bytes, { providers: 'cpu', intraOpNumThreads: threads })).session;
  let imageNewline: Float32Array;
  const tower = await (async () => {
    const w = randomVisionWeights(shape.vision, seed);
    imageNewline = w.imageNewline;
    return open(buildVisionTowerModel(w).bytes, 'tower');
  })();
  const model = buildDecoderModel(randomDecoderWeights(shape.text, seed ^ 0x9e3779b9), {
    input: 'embeds',
    steerLayers: [],
    captureLayers: [0],
    captureReduce: 'rows',
  });
  const session = await open(model.bytes, 'decoder');
  return { shape, tower, decoder: { session, model }, imageNewline: imageNewline! };
}

/** Random pixel values for one image's tiles, [tiles, 3, side, side], roughly CLIP-normalised. */
export function randomPixels(shape: CaptureShape, seed: number): ort.Tensor {
  const side = shape.vision.imageSize;
  const data = new Float32Array(shape.tiles * 3 * side * side);
  fillUniform(data, { s: seed }, 1.7);
  return new ort.Tensor('float32', data, [shape.tiles, 3, side, side]);
}

export interface ImageTimes {
  towerMs: number;
  packMs: number;
  decoderMs: number;
  /** captured rows [packed positions, d_model] */
  rows: Float32Array;
}

/** One image through the capture path: tower, packing, decoder capture of the packed positions. */
export async function captureImage(s: CaptureSessions, pixels: ort.Tensor): Promise<ImageTimes> {
  const t0 = performance.now();
  const features = (await s.tower.run({ pixel_values: pixels })).image_features.data as Float32Array;
  const t1 = performance.now();
  const packed =
    s.shape.tiles === 1 ? features : packImageFeatures(features, s.shape.layout, s.shape.vision, s.imageNewline);
  const t2 = performance.now();
  const [rows] = await captureRows(s.decoder, [{ embeds: packed, length: s.shape.packedPositions }]);
  const t3 = performance.now();
  return { towerMs: t1 - t0, packMs: t2 - t1, decoderMs: t3 - t2, rows };
}
