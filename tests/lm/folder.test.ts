// The HF folder reader on the transformers fixtures, and on broken copies of them: each refusal is a
// bad_file error naming the file and the field.
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLmConfig } from '../../src-main/engine/lm/config.js';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { AppError } from '../../src-main/util/errors.js';
import { copyFixture, editJson, fixtureFolder, rewriteSafetensors } from './hf-fixtures.js';

function refusal(fn: () => unknown): { file: string; field: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('bad_file');
    const details = (error as AppError).details as { file: string; field: string };
    return { ...details, message: (error as AppError).message };
  }
  throw new Error('expected a bad_file error');
}

describe('openLmFolder on the transformers fixtures', () => {
  it('reads a sharded fp32 Llama with GQA, llama3 rope scaling and a separate lm_head', () => {
    const model = openLmFolder(fixtureFolder('llama'));
    expect(model.config).toMatchObject({
      architecture: 'LlamaForCausalLM',
      textModelType: 'llama',
      dModel: 64,
      nLayers: 3,
      nHeads: 4,
      nKvHeads: 2,
      headDim: 16,
      ffnDim: 64,
      vocabSize: 120,
      rmsNormEps: 1e-5,
      ropeTheta: 500000,
      tiedEmbeddings: false,
      bosTokenId: 1,
      eosTokenIds: [2],
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 16,
      },
    });
    expect(model.config.slidingWindow).toBeUndefined();
    expect(model.dtype).toBe('F32');
    expect(model.files.map((f) => f.path.split('/').pop())).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(model.tensors.lmHead).not.toBe(model.tensors.embed);
  });

  it('reads an fp16 Llama with linear rope scaling', () => {
    const model = openLmFolder(fixtureFolder('llama-linear-f16'));
    expect(model.config).toMatchObject({ nLayers: 2, ropeTheta: 10000, ropeScaling: { type: 'linear', factor: 2 } });
    expect(model.dtype).toBe('F16');
  });

  it('reads a bf16 Mistral with a sliding window and tied embeddings', () => {
    const model = openLmFolder(fixtureFolder('mistral-bf16'));
    expect(model.config).toMatchObject({
      architecture: 'MistralForCausalLM',
      textModelType: 'mistral',
      slidingWindow: 4,
      tiedEmbeddings: true,
      ropeScaling: { type: 'none' },
    });
    expect(model.dtype).toBe('BF16');
    const weights = readLmWeights(model);
    expect(weights.tensors.lmHead).toBe(weights.tensors.embed);
  });

  it('reads the language model of LLaVA-NeXT in both layouts transformers has written', () => {
    const saved = openLmFolder(fixtureFolder('llava-next'));
    expect(saved.config).toMatchObject({
      architecture: 'LlavaNextForConditionalGeneration',
      textModelType: 'llama',
      dModel: 64,
      nLayers: 2,
    });
    expect(saved.tensors.embed.name).toBe('language_model.model.embed_tokens.weight');
    expect(saved.tensors.lmHead.name).toBe('language_model.lm_head.weight');

    // transformers 4.52-4.57: model.language_model.* and a top-level lm_head
    const dir = copyFixture('llava-next');
    rewriteSafetensors(join(dir, 'model.safetensors'), (name, shape, data) => {
      if (name.startsWith('language_model.model.'))
        return { name: `model.language_model.${name.slice('language_model.model.'.length)}`, shape, data };
      if (name === 'language_model.lm_head.weight') return { name: 'lm_head.weight', shape, data };
      return {
        name: name.startsWith('vision_tower.') || name.startsWith('multi_modal_projector.') ? `model.${name}` : name,
        shape,
        data,
      };
    });
    const moved = openLmFolder(dir);
    expect(moved.tensors.embed.name).toBe('model.language_model.embed_tokens.weight');
    expect(moved.tensors.lmHead.name).toBe('lm_head.weight');
    const [a, b] = [readLmWeights(saved), readLmWeights(moved)];
    expect(b.tensors.layers[1].down).toEqual(a.tensors.layers[1].down);
    expect(b.tensors.lmHead).toEqual(a.tensors.lmHead);
  });

  it('decodes bf16 and fp16 weights to the values transformers holds', () => {
    // The fixture's final norm weights start at 1 (transformers' RMSNorm init) and stay exactly 1.
    const w = readLmWeights(openLmFolder(fixtureFolder('mistral-bf16')));
    expect([...w.tensors.finalNorm]).toEqual(Array(64).fill(1));
    expect(w.tensors.embed.length).toBe(120 * 64);
    expect(w.tensors.embed.some((x) => x !== 0)).toBe(true);
  });
});

describe('parseLmConfig', () => {
  it('reads the pre-transformers-5 rope fields (rope_theta beside rope_scaling with "type")', () => {
    const config = parseLmConfig({
      architectures: ['LlamaForCausalLM'],
      hidden_size: 64,
      num_attention_heads: 4,
      num_hidden_layers: 1,
      intermediate_size: 8,
      vocab_size: 10,
      rms_norm_eps: 1e-6,
      rope_theta: 1234,
      rope_scaling: { type: 'linear', factor: 4 },
    });
    expect(config).toMatchObject({
      ropeTheta: 1234,
      ropeScaling: { type: 'linear', factor: 4 },
      nKvHeads: 4,
      headDim: 16,
    });
  });

  it('fills a LLaVA-NeXT text_config from the model type defaults, as transformers does', () => {
    const config = parseLmConfig({
      architectures: ['LlavaNextForConditionalGeneration'],
      text_config: {
        model_type: 'mistral',
        intermediate_size: 14336,
        num_key_value_heads: 8,
        rope_theta: 1000000,
        sliding_window: null,
        vocab_size: 32064,
      },
    });
    expect(config).toMatchObject({
      dModel: 4096,
      nLayers: 32,
      nHeads: 32,
      nKvHeads: 8,
      headDim: 128,
      vocabSize: 32064,
      ropeTheta: 1e6,
      rmsNormEps: 1e-6,
    });
    expect(config.slidingWindow).toBeUndefined();
  });
});

describe('openLmFolder refuses inconsistent folders, naming the file and field', () => {
  const cases: {
    name: string;
    model: Parameters<typeof copyFixture>[0];
    breakIt: (dir: string) => void;
    file: string;
    field: string;
    mentions?: string;
  }[] = [
    {
      name: 'an unsupported architecture',
      model: 'llama',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.architectures = ['GPT2LMHeadModel'];
        }),
      file: 'config.json',
      field: 'architectures',
      mentions: 'GPT2LMHeadModel',
    },
    {
      name: 'hidden_size not divisible by the heads',
      model: 'llama',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          delete c.head_dim;
          c.num_attention_heads = 6;
        }),
      file: 'config.json',
      field: 'hidden_size',
      mentions: 'num_attention_heads 6',
    },
    {
      name: 'KV heads that do not divide the heads',
      model: 'mistral-bf16',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.num_key_value_heads = 3;
        }),
      file: 'config.json',
      field: 'num_key_value_heads',
    },
    {
      name: 'an unsupported rope type',
      model: 'llama',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.rope_parameters.rope_type = 'yarn';
        }),
      file: 'config.json',
      field: 'rope_parameters.rope_type',
      mentions: 'yarn',
    },
    {
      name: 'a non-SiLU activation',
      model: 'mistral-bf16',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.hidden_act = 'gelu';
        }),
      file: 'config.json',
      field: 'hidden_act',
    },
    {
      name: 'a LLaVA text model that is neither llama nor mistral',
      model: 'llava-next',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.text_config.model_type = 'qwen2';
        }),
      file: 'config.json',
      field: 'text_config.model_type',
    },
    {
      name: 'a tensor of the wrong shape (config says another FFN width)',
      model: 'mistral-bf16',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.intermediate_size = 96;
        }),
      file: 'model.safetensors',
      field: 'model.layers.0.mlp.gate_proj.weight',
      mentions: '[96, 64]',
    },
    {
      name: 'a missing tensor in a single file',
      model: 'llama-linear-f16',
      breakIt: (dir) =>
        rewriteSafetensors(join(dir, 'model.safetensors'), (name, shape, data) =>
          name === 'model.layers.1.self_attn.k_proj.weight' ? undefined : { name, shape, data },
        ),
      file: 'model.safetensors',
      field: 'model.layers.1.self_attn.k_proj.weight',
      mentions: 'absent',
    },
    {
      name: 'a tensor missing from the index',
      model: 'llama',
      breakIt: (dir) =>
        editJson(join(dir, 'model.safetensors.index.json'), (c) => {
          delete c.weight_map['model.norm.weight'];
        }),
      file: 'model.safetensors.index.json',
      field: 'model.norm.weight',
    },
    {
      name: 'a tensor the index places in a shard that lacks it',
      model: 'llama',
      breakIt: (dir) =>
        editJson(join(dir, 'model.safetensors.index.json'), (c) => {
          const other = (s: string) =>
            s === 'model-00001-of-00002.safetensors'
              ? 'model-00002-of-00002.safetensors'
              : 'model-00001-of-00002.safetensors';
          c.weight_map['model.norm.weight'] = other(c.weight_map['model.norm.weight']);
        }),
      file: '',
      field: 'model.norm.weight',
      mentions: 'absent',
    },
    {
      name: 'a missing shard',
      model: 'llama',
      breakIt: (dir) => unlinkSync(join(dir, 'model-00002-of-00002.safetensors')),
      file: 'model.safetensors.index.json',
      field: 'weight_map.',
      mentions: 'missing',
    },
    {
      name: 'a shard path that leaves the folder',
      model: 'llama',
      breakIt: (dir) =>
        editJson(join(dir, 'model.safetensors.index.json'), (c) => {
          c.weight_map['model.embed_tokens.weight'] = '../model-00001-of-00002.safetensors';
        }),
      file: 'model.safetensors.index.json',
      field: 'weight_map.model.embed_tokens.weight',
    },
    {
      name: 'an untied model without lm_head',
      model: 'llama-linear-f16',
      breakIt: (dir) =>
        rewriteSafetensors(join(dir, 'model.safetensors'), (name, shape, data) =>
          name === 'lm_head.weight' ? undefined : { name, shape, data },
        ),
      file: 'model.safetensors',
      field: 'lm_head.weight',
      mentions: 'tie_word_embeddings is false',
    },
    {
      name: 'fewer layers in config.json than in the weights',
      model: 'mistral-bf16',
      breakIt: (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.num_hidden_layers = 2;
        }),
      file: 'config.json',
      field: 'num_hidden_layers',
    },
    {
      name: 'no weights at all',
      model: 'mistral-bf16',
      breakIt: (dir) => unlinkSync(join(dir, 'model.safetensors')),
      file: 'model.safetensors',
      field: '(file)',
    },
    {
      name: 'a config that is not JSON',
      model: 'mistral-bf16',
      breakIt: (dir) => writeFileSync(join(dir, 'config.json'), '{"architectures": ['),
      file: 'config.json',
      field: '(file)',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dir = copyFixture(c.model);
      c.breakIt(dir);
      const error = refusal(() => openLmFolder(dir));
      if (c.file) expect(error.file).toBe(c.file);
      expect(error.field.startsWith(c.field)).toBe(true);
      if (c.mentions) expect(error.message).toContain(c.mentions);
    });
  }
});
