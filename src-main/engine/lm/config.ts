// config.json of a Hugging Face decoder (issue 13): LlamaForCausalLM, MistralForCausalLM, and the
// text model inside LlavaNextForConditionalGeneration (its `text_config`). Everything the reader, the
// reference pass and the graph builder need, normalised and checked for consistency up front, so a
// bad folder is refused before any weight is read.
import { badFile } from '../../util/errors.js';

export const LM_ARCHITECTURES = [
  'LlamaForCausalLM',
  'MistralForCausalLM',
  'LlavaNextForConditionalGeneration',
] as const;
export type LmArchitecture = (typeof LM_ARCHITECTURES)[number];

export type RopeScaling =
  | { type: 'none' }
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export interface LmConfig {
  architecture: LmArchitecture;
  /** the decoder's own family ('llama' or 'mistral'); for LLaVA-NeXT, text_config.model_type */
  textModelType: 'llama' | 'mistral';
  dModel: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  ffnDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  /** Mistral: a query attends to itself and the window-1 keys before it (transformers' rule) */
  slidingWindow?: number;
  tiedEmbeddings: boolean;
  bosTokenId?: number;
  eosTokenIds: number[];
}

type Json = Record<string, unknown>;

// transformers fills a missing field from the model type's defaults; LLaVA-NeXT checkpoints rely on
// it (llava-v1.6-mistral-7b-hf's text_config has no hidden_size or num_hidden_layers).
const DEFAULTS: Record<'llama' | 'mistral', Json> = {
  llama: {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
  },
  mistral: {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    sliding_window: 4096,
    tie_word_embeddings: false,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
  },
};

export function parseLmConfig(json: unknown, file = 'config.json'): LmConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw badFile(file, '(top level)', 'a JSON object', typeof json);
  const top = json as Json;
  const archs = top.architectures;
  const architecture = Array.isArray(archs) && archs.length === 1 ? archs[0] : undefined;
  if (typeof architecture !== 'string' || !(LM_ARCHITECTURES as readonly string[]).includes(architecture)) {
    throw badFile(file, 'architectures', `one of ${LM_ARCHITECTURES.join(', ')}`, JSON.stringify(archs));
  }
  const isLlava = architecture === 'LlavaNextForConditionalGeneration';
  let raw: Json = top;
  let prefix = '';
  if (isLlava) {
    if (top.text_config === null || typeof top.text_config !== 'object')
      throw badFile(file, 'text_config', 'an object (the language model)', JSON.stringify(top.text_config));
    raw = top.text_config as Json;
    prefix = 'text_config.';
  }
  const modelType = raw.model_type ?? (isLlava ? 'llama' : architecture === 'MistralForCausalLM' ? 'mistral' : 'llama');
  if (modelType !== 'llama' && modelType !== 'mistral')
    throw badFile(file, `${prefix}model_type`, 'llama or mistral', JSON.stringify(modelType));
  const c: Json = { ...DEFAULTS[modelType], ...raw };
  const field = (name: string) => `${prefix}${name}`;

  const int = (name: string, min = 1): number => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw badFile(file, field(name), `an integer >= ${min}`, JSON.stringify(v));
    return v;
  };

  if (c.hidden_act !== 'silu')
    throw badFile(file, field('hidden_act'), '"silu" (SwiGLU MLP)', JSON.stringify(c.hidden_act));
  for (const bias of ['attention_bias', 'mlp_bias']) {
    if (c[bias] !== undefined && c[bias] !== false)
      throw badFile(file, field(bias), 'false (no biases in Llama/Mistral)', JSON.stringify(c[bias]));
  }
  const dModel = int('hidden_size');
  const nHeads = int('num_attention_heads');
  const nKvHeads =
    c.num_key_value_heads === undefined || c.num_key_value_heads === null ? nHeads : int('num_key_value_heads');
  if (nHeads % nKvHeads !== 0) {
    throw badFile(file, field('num_key_value_heads'), `a divisor of num_attention_heads ${nHeads}`, `${nKvHeads}`);
  }
  let headDim: number;
  if (c.head_dim === undefined || c.head_dim === null) {
    if (dModel % nHeads !== 0)
      throw badFile(
        file,
        field('hidden_size'),
        `a multiple of num_attention_heads ${nHeads} (no head_dim given)`,
        `${dModel}`,
      );
    headDim = dModel / nHeads;
  } else {
    headDim = int('head_dim');
  }
  if (headDim % 2 !== 0) throw badFile(file, field('head_dim'), 'an even number (rotary pairs)', `${headDim}`);

  const eps = c.rms_norm_eps;
  if (typeof eps !== 'number' || !(eps > 0) || eps >= 1)
    throw badFile(file, field('rms_norm_eps'), 'a number in (0, 1)', JSON.stringify(eps));

  const { ropeTheta, ropeScaling } = parseRope(c, file, field);

  let slidingWindow: number | undefined;
  if (modelType === 'mistral' && c.sliding_window !== null && c.sliding_window !== undefined)
    slidingWindow = int('sliding_window');
  if (modelType === 'llama' && c.sliding_window !== undefined && c.sliding_window !== null) {
    throw badFile(
      file,
      field('sliding_window'),
      'null (Llama has no sliding window; use MistralForCausalLM)',
      JSON.stringify(c.sliding_window),
    );
  }

  const tied = isLlava ? (top.tie_word_embeddings ?? c.tie_word_embeddings) : c.tie_word_embeddings;
  if (typeof tied !== 'boolean')
    throw badFile(file, field('tie_word_embeddings'), 'true or false', JSON.stringify(tied));

  const eos = c.eos_token_id;
  const eosTokenIds = eos === null || eos === undefined ? [] : Array.isArray(eos) ? eos : [eos];
  if (!eosTokenIds.every((t) => Number.isInteger(t) && (t as number) >= 0))
    throw badFile(file, field('eos_token_id'), 'a token id or a list of them', JSON.stringify(eos));
  const config: LmConfig = {
    architecture: architecture as LmArchitecture,
    textModelType: modelType,
    dModel,
    nLayers: int('num_hidden_layers'),
    nHeads,
    nKvHeads,
    headDim,
    ffnDim: int('intermediate_size'),
    vocabSize: int('vocab_size'),
    rmsNormEps: eps,
    ropeTheta,
    ropeScaling,
    tiedEmbeddings: tied,
    eosTokenIds: eosTokenIds as number[],
  };
  if (slidingWindow !== undefined) config.slidingWindow = slidingWindow;
  if (Number.isInteger(c.bos_token_id)) config.bosTokenId = c.bos_token_id as number;
  return config;
}

/**
 * transformers 5 writes `rope_parameters: {rope_type, rope_theta, ...}`; earlier versions wrote
 * `rope_theta` beside `rope_scaling: {type | rope_type, factor, ...}` (null for none). Read both.
 */
function parseRope(
  c: Json,
  file: string,
  field: (name: string) => string,
): { ropeTheta: number; ropeScaling: RopeScaling } {
  const params = c.rope_parameters ?? c.rope_scaling;
  const where = c.rope_parameters !== undefined ? field('rope_parameters') : field('rope_scaling');
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw badFile(file, where, 'an object or null', JSON.stringify(params));
  }
  const p = (params ?? {}) as Json;
  const thetaRaw = p.rope_theta ?? c.rope_theta;
  if (typeof thetaRaw !== 'number' || !(thetaRaw > 0))
    throw badFile(file, field('rope_theta'), 'a positive number', JSON.stringify(thetaRaw));
  const type = p.rope_type ?? p.type ?? 'default';
  const num = (name: string): number => {
    const v = p[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw badFile(file, `${where}.${name}`, 'a positive number', JSON.stringify(v));
    return v;
  };
  switch (type) {
    case 'default':
      return { ropeTheta: thetaRaw, ropeScaling: { type: 'none' } };
    case 'linear':
      return { ropeTheta: thetaRaw, ropeScaling: { type: 'linear', factor: num('factor') } };
    case 'llama3': {
      if (p.original_max_position_embeddings === undefined && typeof c.max_position_embeddings === 'number') {
        p.original_max_position_embeddings = c.max_position_embeddings;
      }
      const scaling: RopeScaling = {
        type: 'llama3',
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
      };
      if (scaling.highFreqFactor <= scaling.lowFreqFactor) {
        throw badFile(
          file,
          `${where}.high_freq_factor`,
          `more than low_freq_factor ${scaling.lowFreqFactor}`,
          `${scaling.highFreqFactor}`,
        );
      }
      return { ropeTheta: thetaRaw, ropeScaling: scaling };
    }
    default:
      throw badFile(file, `${where}.rope_type`, 'default, linear or llama3', JSON.stringify(type));
  }
}
