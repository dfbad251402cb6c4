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

export interface VisionLayer {
  norm1Weight: Float32Array;
  norm1Bias: Float32Array;
  /** nn.Linear weights, [out, in] as stored */
  q: Float32Array;
  qBias: Float32Array;
  k: Float32Array;
  kBias: Float32Array;
  v: Float32Array;
  vBias: Float32Array;
  o: Float32Array;
  oBias: Float32Array;
  norm2Weight: Float32Array;
  norm2Bias: Float32Array;
  fc1: Float32Array;
  fc1Bias: Float32Array;
  fc2: Float32Array;
  fc2Bias: Float32Array;
}

export interface VisionWeights extends LlavaVision {
  /** [D, 3, patch, patch] */
  patchEmbedding: Float32Array;
  classEmbedding: Float32Array;
  /** [patches + 1, D] */
  positionEmbedding: Float32Array;
  preNormWeight: Float32Array;
  preNormBias: Float32Array;
  /** the first `featureLayer` encoder layers */
  layers: VisionLayer[];
  /** [textD, D], [textD] (zeros without bias), [textD, textD], [textD] */
  projector1: Float32Array;
  projector1Bias: Float32Array;
  projector2: Float32Array;
  projector2Bias: Float32Array;
  /** [textD] */
  imageNewline: Float32Array;
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

export function readVisionWeights(folder: string): VisionWeights {
  return collectVision(folder, (ref) => readSafetensor(ref.file, ref.name));
}

/**
 * Every vision tensor present with the shape config.json implies, from the headers alone (import
 * checks this before hashing); the safetensors files they are in.
 */
export function checkVisionFolder(folder: string): { files: string[] } {
  const files = new Set<string>();
  const nothing = new Float32Array(0);
  collectVision(folder, (ref) => {
    files.add(ref.file.path);
    return nothing;
  });
  return { files: [...files].sort() };
}

function collectVision(folder: string, read: (ref: LmTensorRef) => Float32Array): VisionWeights {
  const { config, processor } = readVisionConfig(folder);
  const lookup = tensorLookup(resolve(folder));
  const take = (names: string[], shape: number[], why: string): Float32Array => {
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
    return read(ref);
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
  const layers: VisionLayer[] = [];
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
    config.projectorBias ? top(name, [n], 'text_config.hidden_size') : new Float32Array(n);
  return {
    config,
    processor,
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
