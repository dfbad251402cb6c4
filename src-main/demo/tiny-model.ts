// Writes the demo's tiny LLaVA-NeXT as a Hugging Face folder (config.json, preprocessor_config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json), exactly what `sightline import-model` reads
// from a real llava-v1.6-mistral checkpoint, plus the concept directions in one safetensors file (one
// tensor per class) for `vector import`. Built by code, nothing downloaded; the same bytes on every run.
// How the weights work: tiny-weights.ts (the decoder) and tiny-vision.ts (the tower and projector).
import path from 'node:path';
import type { PictogramClass } from './pictograms';
import { safetensorsBytes, writeFile } from './files';
import { BOS, EOS, IMAGE_TOKEN, UNK } from './tiny-script';
import {
  CLIP_MEAN,
  CLIP_STD,
  demoPictures,
  GRID_PINPOINTS,
  tinyVisionWeights,
  VISION_TILE,
  type DemoPicture,
} from './tiny-vision';
import {
  TINY_D_MODEL,
  TINY_FFN,
  TINY_HEAD_DIM,
  TINY_HEADS,
  TINY_KV_HEADS,
  TINY_LAYERS,
  TINY_RMS_EPS,
  TINY_ROPE_THETA,
  tinyWeights,
} from './tiny-weights';

export const TINY_MODEL_NAME = 'demo-tiny-llava-next';
export const DIRECTIONS_FILE = 'concept-directions.safetensors';
/** The pictograms as a folder per class (`pictures/<class>/<variant>.png`), the layout `--images DIR` reads. */
export const PICTURES_DIR = 'pictures';

export interface TinyModelFiles {
  /** the HF folder */
  folder: string;
  /** the concept directions, tensor name per class */
  directionsFile: string;
  directionKeys: Map<PictogramClass, string>;
}

const directionKeyOf = (className: PictogramClass) => className.replace(/ /g, '_');

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A WordLevel tokenizer: words split at spaces and punctuation, BOS in front, special tokens marked. */
function tokenizerJson(vocab: string[]): unknown {
  const special = new Set([UNK, BOS, EOS, IMAGE_TOKEN]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: vocab
      .map((content, id) => ({ id, content }))
      .filter(({ content }) => special.has(content))
      .map(({ id, content }) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: BOS, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [BOS]: { id: BOS, ids: [vocab.indexOf(BOS)], tokens: [BOS] } },
    },
    // No decoder: words are joined with spaces, and clean_up_tokenization_spaces removes the one before "."
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(vocab.map((word, id) => [word, id])), unk_token: UNK },
  };
}

/** The processor settings as transformers' LlavaNextImageProcessor saves them. */
const preprocessorConfig = {
  crop_size: { height: VISION_TILE, width: VISION_TILE },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_pad: true,
  do_rescale: true,
  do_resize: true,
  image_grid_pinpoints: GRID_PINPOINTS,
  image_mean: CLIP_MEAN,
  image_processor_type: 'LlavaNextImageProcessor',
  image_std: CLIP_STD,
  resample: 3,
  rescale_factor: 1 / 255,
  size: { shortest_edge: VISION_TILE },
};

/** Writes each picture to `<dir>/pictures/<class>/<variant>.png`; returns that folder. */
export function writeDemoPictures(dir: string, pictures: DemoPicture[] = demoPictures()): string {
  const root = path.join(dir, PICTURES_DIR);
  for (const p of pictures) writeFile(path.join(root, p.className, `${p.variant}.png`), Buffer.from(p.png));
  return root;
}

/** `pictures`: the images the projector's readout is computed from (default: the demo's pictograms). */
export async function writeTinyModel(dir: string, pictures?: DemoPicture[]): Promise<TinyModelFiles> {
  const decoder = tinyWeights();
  const { script, tensors, directions } = decoder;
  const vision = await tinyVisionWeights(decoder, pictures);
  const folder = path.join(dir, TINY_MODEL_NAME);
  const textConfig = {
    model_type: 'mistral',
    hidden_size: TINY_D_MODEL,
    intermediate_size: TINY_FFN,
    num_hidden_layers: TINY_LAYERS,
    num_attention_heads: TINY_HEADS,
    num_key_value_heads: TINY_KV_HEADS,
    head_dim: TINY_HEAD_DIM,
    hidden_act: 'silu',
    max_position_embeddings: 256,
    rms_norm_eps: TINY_RMS_EPS,
    rope_theta: TINY_ROPE_THETA,
    sliding_window: null,
    tie_word_embeddings: false,
    vocab_size: script.vocab.length,
    bos_token_id: script.vocab.indexOf(BOS),
    eos_token_id: script.vocab.indexOf(EOS),
  };
  const config = {
    architectures: ['LlavaNextForConditionalGeneration'],
    model_type: 'llava_next',
    ...vision.config,
    text_config: textConfig,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
  };
  writeFile(path.join(folder, 'config.json'), json(config));
  writeFile(path.join(folder, 'preprocessor_config.json'), json(preprocessorConfig));
  // transformers 5's names on save: the decoder under language_model.
  const languageModel = tensors.map((t) => ({
    ...t,
    name: `language_model.${t.name}`,
  }));
  writeFile(
    path.join(folder, 'model.safetensors'),
    safetensorsBytes([...vision.tensors, ...languageModel], { format: 'pt', generator: 'sightline demo' }),
  );
  writeFile(path.join(folder, 'tokenizer.json'), json(tokenizerJson(script.vocab)));
  writeFile(
    path.join(folder, 'tokenizer_config.json'),
    json({
      bos_token: BOS,
      eos_token: EOS,
      unk_token: UNK,
      add_bos_token: true,
      clean_up_tokenization_spaces: true,
      model_max_length: 256,
      tokenizer_class: 'PreTrainedTokenizerFast',
    }),
  );
  const directionKeys = new Map(script.classes.map((className) => [className, directionKeyOf(className)]));
  const directionsFile = path.join(dir, DIRECTIONS_FILE);
  writeFile(
    directionsFile,
    safetensorsBytes(
      script.classes.map((className, c) => ({
        name: directionKeyOf(className),
        shape: [TINY_D_MODEL],
        data: directions[c],
      })),
      { note: 'unit-norm class directions of the demo tiny model at layer 1' },
    ),
  );
  return { folder, directionsFile, directionKeys };
}
