// The vision half of a LlavaNextForConditionalGeneration folder (issue 14): config.json's vision_config
// (a CLIP ViT), the projector and packing settings, and the image processor's settings from
// preprocessor_config.json, or processor_config.json (transformers 5 nests them under
// "image_processor"). Checked up front so a bad folder is refused before any weight is read.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { badFile } from '../../util/errors.js';
import type { ImageProcessorSettings } from './preprocess.js';

export interface VisionConfig {
  hiddenSize: number;
  intermediateSize: number;
  nLayers: number;
  nHeads: number;
  /** the side of one tile in pixels (vision_config.image_size, 336 for llava-v1.6) */
  imageSize: number;
  patchSize: number;
  layerNormEps: number;
  hiddenAct: 'quick_gelu' | 'gelu';
  /** index into the tower's hidden states (0 = embeddings after pre_layrnorm), made non-negative */
  featureLayer: number;
  /** 'default' drops the CLS position, 'full' keeps it */
  selectStrategy: 'default' | 'full';
  projectorAct: 'gelu';
  projectorBias: boolean;
  /** the language model's width (the projector's output) */
  textHiddenSize: number;
  gridPinpoints: [number, number][];
  imageTokenId: number;
}

export interface LlavaVision {
  config: VisionConfig;
  processor: ImageProcessorSettings;
}

type Json = Record<string, unknown>;

// transformers' CLIPVisionConfig defaults (used where a checkpoint leaves a field out)
const CLIP_DEFAULTS: Json = {
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  image_size: 224,
  patch_size: 32,
  layer_norm_eps: 1e-5,
  hidden_act: 'quick_gelu',
};
const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
// LlavaNextConfig's default image_grid_pinpoints (336-pixel tiles)
const DEFAULT_PINPOINTS: [number, number][] = [
  [336, 672],
  [672, 336],
  [672, 672],
  [1008, 336],
  [336, 1008],
];

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function pinpoints(value: unknown, file: string, field: string, tile: number): [number, number][] {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (p) =>
        Array.isArray(p) &&
        p.length === 2 &&
        p.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0 && d % tile === 0),
    );
  if (!ok) throw badFile(file, field, `a list of [height, width] pairs, multiples of ${tile}`, JSON.stringify(value));
  return value as [number, number][];
}

export function parseVisionConfig(json: unknown, file = 'config.json'): VisionConfig {
  if (!isObject(json)) throw badFile(file, '(top level)', 'a JSON object', typeof json);
  if (!isObject(json.vision_config))
    throw badFile(file, 'vision_config', 'an object (the CLIP vision tower)', JSON.stringify(json.vision_config));
  const v: Json = { ...CLIP_DEFAULTS, ...json.vision_config };
  const int = (name: string, min = 1): number => {
    const x = v[name];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min)
      throw badFile(file, `vision_config.${name}`, `an integer >= ${min}`, JSON.stringify(x));
    return x;
  };
  if (v.hidden_act !== 'quick_gelu' && v.hidden_act !== 'gelu')
    throw badFile(file, 'vision_config.hidden_act', '"quick_gelu" or "gelu"', JSON.stringify(v.hidden_act));
  const hiddenSize = int('hidden_size');
  const nHeads = int('num_attention_heads');
  if (hiddenSize % nHeads !== 0)
    throw badFile(file, 'vision_config.hidden_size', `a multiple of num_attention_heads (${nHeads})`, `${hiddenSize}`);
  const nLayers = int('num_hidden_layers');
  const imageSize = int('image_size');
  const patchSize = int('patch_size');
  if (imageSize % patchSize !== 0)
    throw badFile(file, 'vision_config.image_size', `a multiple of patch_size (${patchSize})`, `${imageSize}`);
  const layerRaw = json.vision_feature_layer ?? -2;
  if (typeof layerRaw !== 'number' || !Number.isInteger(layerRaw) || layerRaw < -(nLayers + 1) || layerRaw > nLayers) {
    throw badFile(
      file,
      'vision_feature_layer',
      `one integer in [-${nLayers + 1}, ${nLayers}] (lists of layers are not supported)`,
      JSON.stringify(layerRaw),
    );
  }
  const strategy = json.vision_feature_select_strategy ?? 'default';
  if (strategy !== 'default' && strategy !== 'full')
    throw badFile(file, 'vision_feature_select_strategy', '"default" or "full"', JSON.stringify(strategy));
  const act = json.projector_hidden_act ?? 'gelu';
  if (act !== 'gelu') throw badFile(file, 'projector_hidden_act', '"gelu"', JSON.stringify(act));
  const text = isObject(json.text_config) ? json.text_config : {};
  const textHiddenSize = text.hidden_size ?? 4096;
  if (typeof textHiddenSize !== 'number' || !Number.isInteger(textHiddenSize))
    throw badFile(file, 'text_config.hidden_size', 'an integer', JSON.stringify(textHiddenSize));
  const imageTokenId = json.image_token_index ?? json.image_token_id ?? 32000;
  if (typeof imageTokenId !== 'number' || !Number.isInteger(imageTokenId) || imageTokenId < 0)
    throw badFile(file, 'image_token_index', 'a token id', JSON.stringify(imageTokenId));
  return {
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    nLayers,
    nHeads,
    imageSize,
    patchSize,
    layerNormEps: typeof v.layer_norm_eps === 'number' ? v.layer_norm_eps : 1e-5,
    hiddenAct: v.hidden_act,
    featureLayer: layerRaw < 0 ? nLayers + 1 + layerRaw : layerRaw,
    selectStrategy: strategy,
    projectorAct: 'gelu',
    projectorBias: json.multimodal_projector_bias !== false,
    textHiddenSize,
    gridPinpoints: pinpoints(json.image_grid_pinpoints ?? DEFAULT_PINPOINTS, file, 'image_grid_pinpoints', imageSize),
    imageTokenId,
  };
}

/** The image processor's settings; without a processor file, LLaVA-NeXT's defaults for this tower. */
export function readImageProcessor(folder: string, config: VisionConfig): ImageProcessorSettings {
  const candidates = ['preprocessor_config.json', 'processor_config.json'];
  const name = candidates.find((n) => existsSync(join(folder, n)));
  let p: Json = {};
  if (name) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(folder, name), 'utf8'));
    } catch (error) {
      throw badFile(name, '(file)', 'JSON', (error as Error).message);
    }
    if (!isObject(json)) throw badFile(name, '(top level)', 'a JSON object', typeof json);
    p = isObject(json.image_processor) ? json.image_processor : json;
  }
  const file = name ?? 'config.json';
  const size = isObject(p.size) ? p.size : {};
  const crop = isObject(p.crop_size) ? p.crop_size : {};
  const edge = size.shortest_edge ?? size.height ?? config.imageSize;
  const cropSide = crop.height ?? edge;
  if (edge !== config.imageSize || cropSide !== config.imageSize || (crop.width ?? cropSide) !== cropSide) {
    // LLaVA-NeXT tiles are exactly the tower's input; other shapes would need the resize + centre crop
    // that transformers applies per tile, which no released checkpoint uses.
    throw badFile(
      file,
      'size.shortest_edge',
      `${config.imageSize} (vision_config.image_size) for both size and crop_size`,
      `${JSON.stringify(p.size)} / ${JSON.stringify(p.crop_size)}`,
    );
  }
  const triple = (value: unknown, field: string, fallback: [number, number, number]): [number, number, number] => {
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || value.length !== 3 || value.some((x) => typeof x !== 'number'))
      throw badFile(file, field, 'three numbers (R, G, B)', JSON.stringify(value));
    return value as [number, number, number];
  };
  if (p.resample !== undefined && p.resample !== 3)
    throw badFile(file, 'resample', '3 (bicubic, the only resampling implemented)', JSON.stringify(p.resample));
  return {
    tileSize: config.imageSize,
    gridPinpoints: p.image_grid_pinpoints
      ? pinpoints(p.image_grid_pinpoints, file, 'image_grid_pinpoints', config.imageSize)
      : config.gridPinpoints,
    mean: triple(p.image_mean, 'image_mean', CLIP_MEAN),
    std: triple(p.image_std, 'image_std', CLIP_STD),
    rescaleFactor: typeof p.rescale_factor === 'number' ? p.rescale_factor : 1 / 255,
  };
}
