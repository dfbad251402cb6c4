// Writes the demo's tiny model as a Hugging Face folder (config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json), exactly what `sightline import-model` reads from a real checkpoint, plus the
// concept directions in one safetensors file (one tensor per class) for `vector import`. Built by code,
// nothing downloaded; the same bytes on every run. How the weights work: tiny-weights.ts.
import path from 'node:path';
import type { PictogramClass } from './pictograms';
import { safetensorsBytes, writeFile } from './files';
import { BOS, EOS, UNK } from './tiny-script';
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

export const TINY_MODEL_NAME = 'demo-tiny-mistral';
export const DIRECTIONS_FILE = 'concept-directions.safetensors';

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
  const special = new Set([UNK, BOS, EOS]);
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

export function writeTinyModel(dir: string): TinyModelFiles {
  const { script, tensors, directions } = tinyWeights();
  const folder = path.join(dir, TINY_MODEL_NAME);
  const config = {
    architectures: ['MistralForCausalLM'],
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
    torch_dtype: 'float32',
  };
  writeFile(path.join(folder, 'config.json'), json(config));
  writeFile(
    path.join(folder, 'model.safetensors'),
    safetensorsBytes(tensors, { format: 'pt', generator: 'sightline demo' }),
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
