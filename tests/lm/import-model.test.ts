// `sightline import-model` on the transformers fixtures: a reference to every file (path, size,
// sha256, hashed with progress), one model sha256 over them, and bad folders refused by the reader's
// named errors with nothing written.
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCaptured, runJson } from '../helpers/cli.js';
import { databaseFingerprint } from '../helpers/fuzz.js';
import { makeProject } from '../helpers/factories.js';
import { copyFixture, editJson, fixtureFolder, rewriteSafetensors } from './hf-fixtures.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('import-model', () => {
  it('records a sharded Llama: every file with its size and sha256, one model sha256, progress to 100%', async () => {
    const project = makeProject();
    const { code, out, err } = await runCaptured([
      'import-model',
      '--project',
      project.dir,
      '--path',
      fixtureFolder('llama'),
      '--json',
    ]);
    expect(code).toBe(0);
    const model = JSON.parse(out.trim());
    expect(model).toMatchObject({
      name: 'llama',
      architecture: 'LlamaForCausalLM',
      dModel: 64,
      nLayers: 3,
      vocabSize: 120,
      dtype: 'F32',
      hasChatTemplate: true,
      path: fixtureFolder('llama'),
    });
    const names = model.files.map((f: { path: string }) => basename(f.path)).sort();
    expect(names).toEqual(
      [
        'config.json',
        'generation_config.json',
        'model-00001-of-00002.safetensors',
        'model-00002-of-00002.safetensors',
        'model.safetensors.index.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    let total = 0;
    for (const file of model.files) {
      expect(file.sha256).toBe(sha256(file.path));
      expect(file.size).toBe(readFileSync(file.path).length);
      total += file.size;
    }
    expect(model.size).toBe(total);
    const manifest = model.files
      .map((f: { path: string; sha256: string }) => `${basename(f.path)}\t${f.sha256}\n`)
      .sort()
      .join('');
    expect(model.sha256).toBe(createHash('sha256').update(manifest).digest('hex'));
    expect(err).toMatch(/hashing .+ \(100%\)\n$/);

    const listed = (
      await runJson(['import-model', '--project', project.dir, '--path', fixtureFolder('mistral-bf16'), '--name', 'm2'])
    ).value;
    expect(listed).toMatchObject({ name: 'm2', architecture: 'MistralForCausalLM', dtype: 'BF16' });
  });

  it('stores a folder inside the project relative to it, and refuses a taken name without writing', async () => {
    const project = makeProject();
    const inside = join(project.dir, 'models', 'tiny');
    cpSync(fixtureFolder('llama-linear-f16'), inside, { recursive: true });
    expect((await runJson(['import-model', '--project', project.dir, '--path', inside])).code).toBe(0);
    const row = project.db.prepare('SELECT path, config_json FROM models').get() as {
      path: string;
      config_json: string;
    };
    expect(row.path).toBe('models/tiny');
    expect(JSON.parse(row.config_json).files.map((f: { path: string }) => f.path)).toContain(
      'models/tiny/model.safetensors',
    );
    const before = databaseFingerprint(project.db);
    const again = await runJson([
      'import-model',
      '--project',
      project.dir,
      '--path',
      fixtureFolder('llama'),
      '--name',
      'tiny',
    ]);
    expect(again).toMatchObject({ code: 1, value: { ok: false, error: { code: 'conflict' } } });
    expect(databaseFingerprint(project.db)).toBe(before);
  });

  const broken: [string, (dir: string) => void, { file: string; field: string }][] = [
    [
      'an unsupported architecture',
      (dir) => editJson(join(dir, 'config.json'), (j) => void (j.architectures = ['GPT2LMHeadModel'])),
      { file: 'config.json', field: 'architectures' },
    ],
    [
      'a missing shard',
      (dir) => unlinkSync(join(dir, 'model-00002-of-00002.safetensors')),
      { file: 'model.safetensors.index.json', field: expect.stringMatching(/^weight_map\./) },
    ],
    [
      'a misshapen tensor',
      (dir) =>
        rewriteSafetensors(join(dir, 'model-00001-of-00002.safetensors'), (name, shape, data) =>
          name === 'model.layers.0.mlp.gate_proj.weight'
            ? { name, shape: [shape[0] / 2, shape[1] * 2], data }
            : { name, shape, data },
        ),
      { file: 'model-00001-of-00002.safetensors', field: 'model.layers.0.mlp.gate_proj.weight' },
    ],
    [
      'a tokenizer.json that is not JSON',
      (dir) => writeFileSync(join(dir, 'tokenizer.json'), '{"model":'),
      { file: 'tokenizer.json', field: '(file)' },
    ],
    [
      'a chat template that does not parse',
      (dir) => editJson(join(dir, 'tokenizer_config.json'), (j) => void (j.chat_template = '{% if %}')),
      { file: 'tokenizer_config.json', field: 'chat_template' },
    ],
  ];

  it.each(broken)('refuses %s by name and writes nothing', async (_, breakIt, named) => {
    const project = makeProject();
    const dir = copyFixture('llama');
    breakIt(dir);
    const before = databaseFingerprint(project.db);
    const { code, value } = await runJson(['import-model', '--project', project.dir, '--path', dir]);
    expect(code).toBe(1);
    expect(value.error).toMatchObject({ code: 'bad_file', details: named });
    expect(databaseFingerprint(project.db)).toBe(before);
  });
});
