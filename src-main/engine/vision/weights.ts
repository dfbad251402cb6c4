// The vision tower, projector and image_newline of a LLaVA-NeXT folder (issue 14), read as float32.
// Checkpoints name them three ways: the original llava-hf layout (vision_tower.vision_model.*,
// multi_modal_projector.*, image_newline), transformers 5 on save (vision_tower.* without vision_model),
// and transformers 4.52-4.57 (everything under model.). Only the encoder layers up to
// vision_feature_layer are read: the rest never reach the language model.
import { basename, resolve } from 'node:path';
import { badFile } from '../../util/errors.js';
import { readSafetensor } from '../formats/safetensors.js';
import { type LmTensorRef, readConfigJson, tensorLookup } from '../lm/folder.js';
import { shapeText } from '../sae-model.js';
import { type LlavaVision, parseVisionConfig, readImageProcessor, type VisionConfig } from './config.js';

export interface VisionLayerOf<T> {
  norm1Weight: T;
  norm1Bias: T;
  /** nn.Linear weights, [out, in] as stored */
  q: T;
  qBias: T;
  k: T;
  kBias: T;
  v: T;
  vBias: T;
  o: T;
  oBias: T;
  norm2Weight: T;
  norm2Bias: T;
  fc1: T;
  fc1Bias: T;
  fc2: T;
  fc2Bias: T;
}

export interface VisionTensorsOf<T> {
  /** [D, 3, patch, patch] */
  patchEmbedding: T;
  classEmbedding: T;
  /** [patches + 1, D] */
  positionEmbedding: T;
  preNormWeight: T;
  preNormBias: T;
  /** the first `featureLayer` encoder layers */
  layers: VisionLayerOf<T>[];
  /** [textD, D], [textD] (zeros without bias), [textD, textD], [textD] */
  projector1: T;
  projector1Bias: T;
  projector2: T;
  projector2Bias: T;
  /** [textD] */
  imageNewline: T;
}

export type VisionLayer = VisionLayerOf<Float32Array>;
export interface VisionWeights extends LlavaVision, VisionTensorsOf<Float32Array> {}

/** Where a vision tensor comes from: the checkpoint, or zeros (a projector without bias). */
export type VisionSource = LmTensorRef | { zeros: number };

/** A LLaVA-NeXT folder's vision half from the tensor headers: nothing read yet. */
export interface VisionFolder extends LlavaVision, VisionTensorsOf<VisionSource> {
  /** the safetensors files the vision tensors are in */
  files: string[];
}

const TOWER_PREFIXES = [
  'vision_tower.vision_model.',
  'vision_tower.',
  'model.vision_tower.vision_model.',
  'model.vision_tower.',
];
const TOP_PREFIXES = ['', 'model.'];

export function readVisionConfig(folder: string): LlavaVision {
  const root = resolve(folder);
  const config = parseVisionConfig(readConfigJson(root));
  return { config, processor: readImageProcessor(root, config) };
}

export function readVisionTensor(source: VisionSource): Float32Array {
  return 'zeros' in source ? new Float32Array(source.zeros) : readSafetensor(source.file, source.name);
}

export function readVisionWeights(folder: string): VisionWeights {
  const opened = openVisionFolder(folder);
  const read = <K extends keyof VisionTensorsOf<unknown>>(key: K) => readVisionTensor(opened[key] as VisionSource);
  return {
    config: opened.config,
    processor: opened.processor,
    patchEmbedding: read('patchEmbedding'),
    classEmbedding: read('classEmbedding'),
    positionEmbedding: read('positionEmbedding'),
    preNormWeight: read('preNormWeight'),
    preNormBias: read('preNormBias'),
    layers: opened.layers.map((layer) => {
      const out = {} as VisionLayer;
      for (const key of Object.keys(layer) as (keyof VisionLayer)[]) out[key] = readVisionTensor(layer[key]);
      return out;
    }),
    projector1: read('projector1'),
    projector1Bias: read('projector1Bias'),
    projector2: read('projector2'),
    projector2Bias: read('projector2Bias'),
    imageNewline: read('imageNewline'),
  };
}

/**
 * Every vision tensor present with the shape config.json implies, from the headers alone (import
 * checks this before hashing), and the safetensors files they are in.
 */
export function checkVisionFolder(folder: string): { files: string[] } {
  return { files: openVisionFolder(folder).files };
}

export function openVisionFolder(folder: string): VisionFolder {
  const { config, processor } = readVisionConfig(folder);
  const lookup = tensorLookup(resolve(folder));
  const files = new Set<string>();
  const take = (names: string[], shape: number[], why: string): LmTensorRef => {
    let ref: LmTensorRef | undefined;
    for (const name of names) ref ??= lookup.get(name);
    if (!ref) throw badFile(lookup.listing, names[0], `a tensor of shape ${shapeText(shape)} (${why})`, 'absent');
    const found = ref.info.shape;
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i]))
      throw badFile(
        basename(ref.file.path),
        ref.name,
        `shape ${shapeText(shape)} (${why})`,
        `shape ${shapeText(found)}`,
      );
    files.add(ref.file.path);
    return ref;
  };
  const towerPrefix = TOWER_PREFIXES.find((p) => lookup.get(`${p}embeddings.patch_embedding.weight`));
  if (towerPrefix === undefined) {
    throw badFile(
      lookup.listing,
      'vision_tower.vision_model.embeddings.patch_embedding.weight',
      'the CLIP vision tower (under vision_tower.vision_model.*, vision_tower.* or model.vision_tower.*)',
      'absent',
    );
  }
  const { hiddenSize: D, intermediateSize: F, patchSize: p, textHiddenSize: T } = config;
  const patches = (config.imageSize / p) ** 2;
  const tower = (name: string, shape: number[], why: string) => take([`${towerPrefix}${name}`], shape, why);
  const top = (name: string, shape: number[], why: string) =>
    take(
      TOP_PREFIXES.map((prefix) => `${prefix}${name}`),
      shape,
      why,
    );
  const layers: VisionLayerOf<VisionSource>[] = [];
  for (let i = 0; i < config.featureLayer; i++) {
    const l = (name: string, shape: number[], why: string) => tower(`encoder.layers.${i}.${name}`, shape, why);
    layers.push({
      norm1Weight: l('layer_norm1.weight', [D], 'hidden_size'),
      norm1Bias: l('layer_norm1.bias', [D], 'hidden_size'),
      q: l('self_attn.q_proj.weight', [D, D], 'hidden_size x hidden_size'),
      qBias: l('self_attn.q_proj.bias', [D], 'hidden_size'),
      k: l('self_attn.k_proj.weight', [D, D], 'hidden_size x hidden_size'),
      kBias: l('self_attn.k_proj.bias', [D], 'hidden_size'),
      v: l('self_attn.v_proj.weight', [D, D], 'hidden_size x hidden_size'),
      vBias: l('self_attn.v_proj.bias', [D], 'hidden_size'),
      o: l('self_attn.out_proj.weight', [D, D], 'hidden_size x hidden_size'),
      oBias: l('self_attn.out_proj.bias', [D], 'hidden_size'),
      norm2Weight: l('layer_norm2.weight', [D], 'hidden_size'),
      norm2Bias: l('layer_norm2.bias', [D], 'hidden_size'),
      fc1: l('mlp.fc1.weight', [F, D], 'intermediate_size x hidden_size'),
      fc1Bias: l('mlp.fc1.bias', [F], 'intermediate_size'),
      fc2: l('mlp.fc2.weight', [D, F], 'hidden_size x intermediate_size'),
      fc2Bias: l('mlp.fc2.bias', [D], 'hidden_size'),
    });
  }
  const bias = (name: string, n: number) =>
    config.projectorBias ? top(name, [n], 'text_config.hidden_size') : { zeros: n };
  return {
    config,
    processor,
    files: [...files].sort(),
    patchEmbedding: tower(
      'embeddings.patch_embedding.weight',
      [D, 3, p, p],
      'hidden_size x 3 x patch_size x patch_size',
    ),
    classEmbedding: tower('embeddings.class_embedding', [D], 'hidden_size'),
    positionEmbedding: tower(
      'embeddings.position_embedding.weight',
      [patches + 1, D],
      '(image_size/patch_size)^2+1 x hidden_size',
    ),
    preNormWeight: tower('pre_layrnorm.weight', [D], 'hidden_size'),
    preNormBias: tower('pre_layrnorm.bias', [D], 'hidden_size'),
    layers,
    projector1: top('multi_modal_projector.linear_1.weight', [T, D], 'text hidden_size x vision hidden_size'),
    projector1Bias: bias('multi_modal_projector.linear_1.bias', T),
    projector2: top('multi_modal_projector.linear_2.weight', [T, T], 'text hidden_size x text hidden_size'),
    projector2Bias: bias('multi_modal_projector.linear_2.bias', T),
    imageNewline: top('image_newline', [T], 'text_config.hidden_size'),
  };
}

/** Image feature positions per tile: patches, plus the CLS position under strategy 'full'. */
export function positionsPerTile(config: VisionConfig): number {
  return (config.imageSize / config.patchSize) ** 2 + (config.selectStrategy === 'full' ? 1 : 0);
}

/** One initializer of the tower graph (graph/vision-tower.ts), in the order the cache stores them. */
export interface TowerInitializer<T> {
  name: string;
  /** as the graph declares it: a linear weight [in, out] */
  dims: number[];
  source: T;
  /** an nn.Linear weight, stored [out, in]: transposed for MatMul */
  linear?: boolean;
}

/**
 * The tower graph's initializers, named as the graph uses them; one list serves the in-memory graph
 * and the cache entry (vision/tower-cache.ts), so the two cannot drift apart. image_newline is not one:
 * packing reads it on the host.
 */
export function towerInitializers<T>(w: VisionTensorsOf<T> & { config: VisionConfig }): TowerInitializer<T>[] {
  const c = w.config;
  const { hiddenSize: D, intermediateSize: F, textHiddenSize: T, patchSize: p } = c;
  const S = (c.imageSize / p) ** 2 + 1;
  const out: TowerInitializer<T>[] = [];
  const plain = (name: string, source: T, dims: number[]) => out.push({ name, dims, source });
  const linear = (name: string, weight: T, bias: T, outDim: number, inDim: number) => {
    out.push({ name, dims: [inDim, outDim], source: weight, linear: true });
    plain(`${name}_bias`, bias, [outDim]);
  };
  plain('patch_embedding', w.patchEmbedding, [D, 3, p, p]);
  plain('class_embedding', w.classEmbedding, [1, 1, D]);
  plain('position_embedding', w.positionEmbedding, [1, S, D]);
  plain('pre_layrnorm_w', w.preNormWeight, [D]);
  plain('pre_layrnorm_b', w.preNormBias, [D]);
  w.layers.forEach((layer, L) => {
    plain(`l${L}_norm1_w`, layer.norm1Weight, [D]);
    plain(`l${L}_norm1_b`, layer.norm1Bias, [D]);
    linear(`l${L}_q`, layer.q, layer.qBias, D, D);
    linear(`l${L}_k`, layer.k, layer.kBias, D, D);
    linear(`l${L}_v`, layer.v, layer.vBias, D, D);
    linear(`l${L}_o`, layer.o, layer.oBias, D, D);
    plain(`l${L}_norm2_w`, layer.norm2Weight, [D]);
    plain(`l${L}_norm2_b`, layer.norm2Bias, [D]);
    linear(`l${L}_fc1`, layer.fc1, layer.fc1Bias, F, D);
    linear(`l${L}_fc2`, layer.fc2, layer.fc2Bias, D, F);
  });
  linear('projector_1', w.projector1, w.projector1Bias, T, D);
  linear('projector_2', w.projector2, w.projector2Bias, T, T);
  return out;
}

/** Bytes of the tower's initializers as fp32 (what an in-memory graph would hold). */
export function towerBytes<T>(w: VisionTensorsOf<T> & { config: VisionConfig }): number {
  return towerInitializers(w).reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1) * 4, 0);
}
