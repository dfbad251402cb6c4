// A Hugging Face model folder as-is (issue 13): config.json plus model.safetensors, or shards named by
// model.safetensors.index.json. `openLmFolder` reads only headers, so a 15 GB model is checked
// (architecture, every tensor present with the shape config.json implies) before a byte of weights is
// read; `readLmWeights` then decodes F32/F16/BF16 into Float32Array for the graph and the reference.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { badFile } from '../../util/errors.js';
import { openSafetensors, readSafetensor, type SafetensorInfo, type SafetensorsFile } from '../formats/safetensors.js';
import { shapeText } from '../sae-model.js';
import { parseLmConfig, type LmConfig } from './config.js';

export interface LmTensorRef {
  /** the name in the checkpoint, prefix included */
  name: string;
  file: SafetensorsFile;
  info: SafetensorInfo;
}

export interface LmLayer<T> {
  inputNorm: T;
  /** nn.Linear weights, [out, in] as stored */
  q: T;
  k: T;
  v: T;
  o: T;
  postAttentionNorm: T;
  gate: T;
  up: T;
  down: T;
}

export interface LmTensors<T> {
  embed: T;
  layers: LmLayer<T>[];
  finalNorm: T;
  /** the same object as `embed` when the embeddings are tied */
  lmHead: T;
}

export interface LmFolder {
  folder: string;
  config: LmConfig;
  /** every safetensors file the decoder's weights come from */
  files: { path: string; size: number }[];
  tensors: LmTensors<LmTensorRef>;
  /** the dtype the decoder's weights are stored in (the most common one, when mixed) */
  dtype: SafetensorInfo['dtype'];
}

export interface LmWeights {
  config: LmConfig;
  tensors: LmTensors<Float32Array>;
}

const INDEX = 'model.safetensors.index.json';
const SINGLE = 'model.safetensors';

/** A model folder's config.json, parsed; a missing or broken one is a bad_file naming it. */
export function readConfigJson(root: string): unknown {
  const configPath = join(root, 'config.json');
  if (!existsSync(configPath)) throw badFile('config.json', '(file)', `a config.json in ${root}`, 'no such file');
  try {
    return JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw badFile('config.json', '(file)', 'JSON', (error as Error).message);
  }
}

export function openLmFolder(folder: string): LmFolder {
  const root = resolve(folder);
  const config = parseLmConfig(readConfigJson(root));
  const lookup = tensorLookup(root);
  const prefixes = decoderPrefixes(config, lookup);
  const tensors = collectTensors(config, lookup, prefixes);
  const used = new Set<SafetensorsFile>([tensors.embed.file, tensors.finalNorm.file, tensors.lmHead.file]);
  const dtypes = new Map<string, number>();
  for (const layer of tensors.layers) {
    for (const ref of Object.values(layer)) {
      used.add(ref.file);
      dtypes.set(ref.info.dtype, (dtypes.get(ref.info.dtype) ?? 0) + 1);
    }
  }
  const dtype = [...dtypes.entries()].sort((a, b) => b[1] - a[1])[0][0] as SafetensorInfo['dtype'];
  const files = [...used].map((f) => ({ path: f.path, size: f.size })).sort((a, b) => a.path.localeCompare(b.path));
  return { folder: root, config, files, tensors, dtype };
}

export function readLmWeights(model: LmFolder): LmWeights {
  const read = (ref: LmTensorRef) => readSafetensor(ref.file, ref.name);
  const embed = read(model.tensors.embed);
  return {
    config: model.config,
    tensors: {
      embed,
      layers: model.tensors.layers.map((layer) => {
        const out = {} as LmLayer<Float32Array>;
        for (const key of Object.keys(layer) as (keyof LmLayer<unknown>)[]) out[key] = read(layer[key]);
        return out;
      }),
      finalNorm: read(model.tensors.finalNorm),
      lmHead: model.tensors.lmHead === model.tensors.embed ? embed : read(model.tensors.lmHead),
    },
  };
}

export interface Lookup {
  /** the file the error should name when a tensor is absent */
  listing: string;
  get(name: string): LmTensorRef | undefined;
}

/** Tensor name -> (file, header entry), from the index's weight_map or the single file. */
export function tensorLookup(root: string): Lookup {
  const indexPath = join(root, INDEX);
  if (existsSync(indexPath)) {
    let index: unknown;
    try {
      index = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (error) {
      throw badFile(INDEX, '(file)', 'JSON', (error as Error).message);
    }
    const map = (index as { weight_map?: unknown } | null)?.weight_map;
    if (map === null || typeof map !== 'object' || Array.isArray(map))
      throw badFile(INDEX, 'weight_map', 'an object of tensor name -> shard file', JSON.stringify(map));
    const shards = new Map<string, SafetensorsFile>();
    const shardOf = (name: string, shard: unknown): SafetensorsFile => {
      // A shard name is a plain file name in the folder; anything else could reach outside it.
      if (typeof shard !== 'string' || shard !== basename(shard) || !shard.endsWith('.safetensors')) {
        throw badFile(
          INDEX,
          `weight_map.${name}`,
          'a .safetensors file name in the same folder',
          JSON.stringify(shard),
        );
      }
      let file = shards.get(shard);
      if (!file) {
        const path = join(root, shard);
        if (!existsSync(path) || !statSync(path).isFile())
          throw badFile(INDEX, `weight_map.${name}`, `an existing shard file`, `${shard} is missing`);
        file = openSafetensors(path);
        shards.set(shard, file);
      }
      return file;
    };
    const entries = map as Record<string, unknown>;
    return {
      listing: INDEX,
      get(name) {
        if (!(name in entries)) return undefined;
        const file = shardOf(name, entries[name]);
        const info = file.tensors.get(name);
        if (!info) throw badFile(basename(file.path), name, `the tensor ${INDEX} places in this shard`, 'absent');
        return { name, file, info };
      },
    };
  }
  const single = join(root, SINGLE);
  if (!existsSync(single)) throw badFile(SINGLE, '(file)', `${SINGLE} or ${INDEX} in ${root}`, 'neither exists');
  const file = openSafetensors(single);
  return {
    listing: SINGLE,
    get(name) {
      const info = file.tensors.get(name);
      return info ? { name, file, info } : undefined;
    },
  };
}

interface Prefixes {
  /** before embed_tokens / layers / norm */
  decoder: string;
  lmHead: string;
}

/**
 * Llama/Mistral keep the decoder under `model.`. LLaVA-NeXT has been written two ways: the original
 * checkpoints (and transformers 5 on save) use `language_model.model.*` + `language_model.lm_head`;
 * transformers 4.52-4.57 wrote `model.language_model.*` + `lm_head`.
 */
function decoderPrefixes(config: LmConfig, lookup: Lookup): Prefixes {
  if (config.architecture !== 'LlavaNextForConditionalGeneration')
    return { decoder: 'model.', lmHead: 'lm_head.weight' };
  const layouts: Prefixes[] = [
    { decoder: 'language_model.model.', lmHead: 'language_model.lm_head.weight' },
    { decoder: 'model.language_model.', lmHead: 'lm_head.weight' },
  ];
  const found = layouts.find((p) => lookup.get(`${p.decoder}embed_tokens.weight`) !== undefined);
  if (!found) {
    throw badFile(
      lookup.listing,
      'language_model.model.embed_tokens.weight',
      'the language model embeddings (under language_model.model.* or model.language_model.*)',
      'absent',
    );
  }
  return found;
}

function collectTensors(config: LmConfig, lookup: Lookup, prefixes: Prefixes): LmTensors<LmTensorRef> {
  const { dModel, nHeads, nKvHeads, headDim, ffnDim, vocabSize } = config;
  const take = (name: string, shape: number[], why: string): LmTensorRef => {
    const ref = lookup.get(name);
    if (!ref) throw badFile(lookup.listing, name, `a tensor of shape ${shapeText(shape)} (${why})`, 'absent');
    const found = ref.info.shape;
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
      throw badFile(basename(ref.file.path), name, `shape ${shapeText(shape)} (${why})`, `shape ${shapeText(found)}`);
    }
    return ref;
  };
  const p = prefixes.decoder;
  const embed = take(`${p}embed_tokens.weight`, [vocabSize, dModel], 'vocab_size x hidden_size');
  const layers: LmLayer<LmTensorRef>[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    const l = `${p}layers.${i}.`;
    layers.push({
      inputNorm: take(`${l}input_layernorm.weight`, [dModel], 'hidden_size'),
      q: take(`${l}self_attn.q_proj.weight`, [nHeads * headDim, dModel], 'num_attention_heads*head_dim x hidden_size'),
      k: take(
        `${l}self_attn.k_proj.weight`,
        [nKvHeads * headDim, dModel],
        'num_key_value_heads*head_dim x hidden_size',
      ),
      v: take(
        `${l}self_attn.v_proj.weight`,
        [nKvHeads * headDim, dModel],
        'num_key_value_heads*head_dim x hidden_size',
      ),
      o: take(`${l}self_attn.o_proj.weight`, [dModel, nHeads * headDim], 'hidden_size x num_attention_heads*head_dim'),
      postAttentionNorm: take(`${l}post_attention_layernorm.weight`, [dModel], 'hidden_size'),
      gate: take(`${l}mlp.gate_proj.weight`, [ffnDim, dModel], 'intermediate_size x hidden_size'),
      up: take(`${l}mlp.up_proj.weight`, [ffnDim, dModel], 'intermediate_size x hidden_size'),
      down: take(`${l}mlp.down_proj.weight`, [dModel, ffnDim], 'hidden_size x intermediate_size'),
    });
  }
  // A layer beyond num_hidden_layers means config.json and the weights describe different models.
  if (lookup.get(`${p}layers.${config.nLayers}.input_layernorm.weight`)) {
    throw badFile(
      'config.json',
      config.architecture === 'LlavaNextForConditionalGeneration'
        ? 'text_config.num_hidden_layers'
        : 'num_hidden_layers',
      `the number of layers in the weights`,
      `${config.nLayers} but layer ${config.nLayers} exists`,
    );
  }
  const finalNorm = take(`${p}norm.weight`, [dModel], 'hidden_size');
  const lmHead = config.tiedEmbeddings
    ? embed
    : take(prefixes.lmHead, [vocabSize, dModel], 'vocab_size x hidden_size (tie_word_embeddings is false)');
  return { embed, layers, finalNorm, lmHead };
}
