// LLaVA-NeXT checkpoints as they exist: llava-v1.6-mistral-7b-hf and llava-v1.6-vicuna-7b-hf on the Hub
// are sharded (model-0000i-of-0000N.safetensors + model.safetensors.index.json) and use the keys the
// original conversion wrote (language_model.model.*, language_model.lm_head.weight,
// vision_tower.vision_model.*, multi_modal_projector.*, image_newline); transformers 4.52-4.57 saves
// model.language_model.*, model.vision_tower.vision_model.*, model.multi_modal_projector.*,
// model.image_newline and lm_head.weight; transformers 5.18 saved the fixture itself with
// language_model.model.* and vision_tower.* (no vision_model). The tiny fixture is re-keyed and
// re-sharded each way (tensors spread round-robin, so every shard holds a bit of each part), imported,
// and must give transformers' greedy tokens with an image.
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors, readSafetensor } from '../../src-main/engine/formats/safetensors.js';
import { createLmHandlers } from '../../src-main/engine/lm-handlers.js';
import { readImageFile } from '../../src-main/engine/vision/image-file.js';
import { packedLayout } from '../../src-main/engine/vision/pack.js';
import { preprocessAnyres, selectBestResolution } from '../../src-main/engine/vision/preprocess.js';
import { parseLmConfig } from '../../src-main/engine/lm/config.js';
import { openLmFolder } from '../../src-main/engine/lm/folder.js';
import { openVisionFolder, positionsPerTile, readVisionConfig } from '../../src-main/engine/vision/weights.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { safetensorsBytes, tempDir } from '../engine/fixtures.js';
import { runJson } from '../helpers/cli.js';
import { expectedVision, VISION_DIR } from './fixtures.js';

/** A copy of the fixture with every tensor renamed and the weights spread over `shards` files. */
function relayout(rename: (name: string) => string, shards: number): string {
  const dir = join(tempDir(), 'llava');
  cpSync(VISION_DIR, dir, { recursive: true });
  rmSync(join(dir, 'model.safetensors'));
  const source = openSafetensors(join(VISION_DIR, 'model.safetensors'));
  const groups: { name: string; shape: number[]; data: Float32Array }[][] = Array.from({ length: shards }, () => []);
  [...source.tensors.keys()].forEach((name, i) => {
    groups[i % shards].push({
      name: rename(name),
      shape: source.tensors.get(name)!.shape,
      data: readSafetensor(source, name),
    });
  });
  const weightMap: Record<string, string> = {};
  let total = 0;
  groups.forEach((group, i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    writeFileSync(join(dir, file), safetensorsBytes(group));
    for (const t of group) {
      weightMap[t.name] = file;
      total += t.data.byteLength;
    }
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }),
  );
  return dir;
}

const swap = (name: string, from: string, to: string) => (name.startsWith(from) ? to + name.slice(from.length) : name);

// Each layout's key for the token embeddings and for the patch embedding, to show the copy really moved.
const KEYS: Record<string, [string, string]> = {
  hub: ['language_model.model.embed_tokens.weight', 'vision_tower.vision_model.embeddings.patch_embedding.weight'],
  'transformers 4.52': [
    'model.language_model.embed_tokens.weight',
    'model.vision_tower.vision_model.embeddings.patch_embedding.weight',
  ],
};

const LAYOUTS: Record<string, (name: string) => string> = {
  // llava-hf on the Hub (converted with transformers 4.39)
  hub: (name) => swap(name, 'vision_tower.', 'vision_tower.vision_model.'),
  // transformers 4.52-4.57 on save
  'transformers 4.52': (name) => {
    if (name === 'language_model.lm_head.weight') return 'lm_head.weight';
    if (name.startsWith('language_model.model.')) return swap(name, 'language_model.model.', 'model.language_model.');
    if (name.startsWith('vision_tower.')) return swap(name, 'vision_tower.', 'model.vision_tower.vision_model.');
    return `model.${name}`; // multi_modal_projector.*, image_newline
  },
};

let project: Project;
beforeAll(() => {
  project = openProject(join(tempDir(), 'layouts.sightline'), { create: true });
});
afterAll(() => project.close());

describe('LLaVA-NeXT checkpoint layouts', () => {
  it.each(Object.keys(LAYOUTS))(
    "%s keys over 3 shards: imported, and transformers' tokens with an image",
    async (layout) => {
      const dir = relayout(LAYOUTS[layout], 3);
      const patch = openVisionFolder(dir).patchEmbedding;
      expect([openLmFolder(dir).tensors.embed.name, 'name' in patch ? patch.name : '']).toEqual(KEYS[layout]);
      const imported = await runJson(['import-model', '--project', project.dir, '--path', dir, '--name', layout]);
      expect(imported.code).toBe(0);
      const recorded = imported.value.files.map((f: { path: string }) => f.path.split('/').pop()).sort();
      expect(recorded).toEqual(expect.arrayContaining(readdirSync(dir).filter((f) => f.startsWith('model-'))));
      expect(recorded).toContain('model.safetensors.index.json');

      const want = expectedVision().images.wide;
      const handlers = createLmHandlers();
      try {
        const loaded = await handlers.loadLm({ folder: dir, providers: 'cpu', intraOpNumThreads: 1 });
        const pixels = preprocessAnyres(await readImageFile(join(dir, want.file)), readVisionConfig(dir).processor);
        const result = await handlers.generate({
          lmId: loaded.lmId,
          prompts: [want.expanded_ids],
          images: [pixels],
          tokens: 20,
        });
        expect(result.generated[0]).toEqual(want.greedy);
      } finally {
        await handlers.disposeAllLms();
      }
    },
  );
});

// The 7B checkpoints' config.json and preprocessor_config.json as llava-hf publishes them (written by
// transformers 4.39, which leaves out every field at its default: text_config has no hidden_size or
// num_hidden_layers, vision_config no hidden_act or layer_norm_eps). Config level only: a 7B checkpoint
// is not something a test can download; the tiny fixture above runs the same readers on real weights.
const PINPOINTS = [
  [336, 672],
  [672, 336],
  [672, 672],
  [1008, 336],
  [336, 1008],
];
const VISION_CONFIG = {
  hidden_size: 1024,
  image_size: 336,
  intermediate_size: 4096,
  model_type: 'clip_vision_model',
  num_attention_heads: 16,
  num_hidden_layers: 24,
  patch_size: 14,
  projection_dim: 768,
  vocab_size: 32000,
};
const LLAVA_COMMON = {
  architectures: ['LlavaNextForConditionalGeneration'],
  ignore_index: -100,
  image_grid_pinpoints: PINPOINTS,
  image_token_index: 32000,
  model_type: 'llava_next',
  projector_hidden_act: 'gelu',
  torch_dtype: 'float16',
  transformers_version: '4.39.0.dev0',
  use_image_newline_parameter: true,
  vision_config: VISION_CONFIG,
  vision_feature_layer: -2,
  vision_feature_select_strategy: 'default',
  vocab_size: 32064,
};
const CHECKPOINTS = {
  'llava-v1.6-mistral-7b-hf': {
    ...LLAVA_COMMON,
    text_config: {
      _name_or_path: 'mistralai/Mistral-7B-Instruct-v0.2',
      architectures: ['MistralForCausalLM'],
      intermediate_size: 14336,
      max_position_embeddings: 32768,
      model_type: 'mistral',
      num_key_value_heads: 8,
      rms_norm_eps: 1e-5,
      rope_theta: 1000000.0,
      sliding_window: null,
      torch_dtype: 'bfloat16',
      vocab_size: 32064,
    },
  },
  'llava-v1.6-vicuna-7b-hf': {
    ...LLAVA_COMMON,
    pad_token_id: 32001,
    tie_word_embeddings: false,
    text_config: {
      _name_or_path: 'lmsys/vicuna-7b-v1.5',
      architectures: ['LlamaForCausalLM'],
      max_position_embeddings: 4096,
      model_type: 'llama',
      pad_token_id: 0,
      rms_norm_eps: 1e-5,
      torch_dtype: 'float16',
      vocab_size: 32064,
    },
  },
};
const PREPROCESSOR = {
  aspect_ratio_setting: 'anyres',
  crop_size: { height: 336, width: 336 },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_pad: true,
  do_rescale: true,
  do_resize: true,
  image_grid_pinpoints: PINPOINTS,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_processor_type: 'LlavaNextImageProcessor',
  image_std: [0.26862954, 0.26130258, 0.27577711],
  processor_class: 'LlavaNextProcessor',
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 336 },
};

describe('the 7B checkpoints, config level', () => {
  it.each(Object.keys(CHECKPOINTS) as (keyof typeof CHECKPOINTS)[])(
    '%s: the text model, the tower and a 500 x 375 photo as transformers reads them',
    (name) => {
      const dir = join(tempDir(), name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(CHECKPOINTS[name]));
      writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(PREPROCESSOR));
      const mistral = name.includes('mistral');
      expect(parseLmConfig(CHECKPOINTS[name])).toMatchObject({
        textModelType: mistral ? 'mistral' : 'llama',
        dModel: 4096,
        nLayers: 32,
        nHeads: 32,
        nKvHeads: mistral ? 8 : 32,
        headDim: 128,
        ffnDim: mistral ? 14336 : 11008,
        vocabSize: 32064,
        rmsNormEps: 1e-5,
        ropeTheta: mistral ? 1e6 : 10000,
        tiedEmbeddings: false,
      });
      expect(parseLmConfig(CHECKPOINTS[name]).slidingWindow).toBeUndefined();
      const { config, processor } = readVisionConfig(dir);
      expect(config).toMatchObject({
        hiddenSize: 1024,
        nLayers: 24,
        featureLayer: 23, // -2 of 24 layers: the 23 first layers run, the last never does
        imageSize: 336,
        patchSize: 14,
        hiddenAct: 'quick_gelu',
        textHiddenSize: 4096,
        imageTokenId: 32000,
        gridPinpoints: PINPOINTS,
      });
      expect(positionsPerTile(config)).toBe(576);
      expect(processor).toMatchObject({ tileSize: 336, gridPinpoints: PINPOINTS });
      // 576 base positions, then the 2 x 2 grid unpadded to 36 rows of 48 patches, a newline after each
      const grid = selectBestResolution([375, 500], processor.gridPinpoints).map((d) => d / 336) as [number, number];
      expect(packedLayout({ imageSize: [375, 500], grid }, config).count).toBe(576 + 36 * 49);
    },
  );
});
