// `sightline generate` on the transformers fixtures, end to end through the CLI, the contract, the
// tokenizer and the engine worker: transformers' 20 greedy tokens plain and steered (expected.json,
// the vector read from .npy and .safetensors), the chat template's ids, ablation and the cap against
// the fp64 reference pass, the text streamed as it is generated, and the named refusals.
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceGreedy } from '../../src-main/engine/lm/reference.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { npyBytes, safetensorsBytes, tempDir } from '../engine/fixtures.js';
import { generateArgs, importModel, runCaptured, runJson } from '../helpers/cli.js';
import { copyFixture, expected, fixtureFolder, HF_DIR, HF_MODELS, type HfModelName } from './hf-fixtures.js';

let project: Project;
const vectors: Record<string, { npy: string; safetensors: string }> = {};
// One project for the file (importing and hashing four models once), closed at the end.
beforeAll(async () => {
  const dir = tempDir();
  project = openProject(join(dir, 'test.sightline'), { create: true });
  for (const name of HF_MODELS) {
    await importModel(project.dir, fixtureFolder(name));
    const v = Float32Array.from(expected(name).steer.vector);
    vectors[name] = { npy: join(dir, `${name}.npy`), safetensors: join(dir, `${name}.safetensors`) };
    writeFileSync(vectors[name].npy, npyBytes(v, [v.length]));
    writeFileSync(vectors[name].safetensors, safetensorsBytes([{ name: 'vector', shape: [1, v.length], data: v }]));
  }
});
afterAll(() => project.close());

const generate = (name: string, prompt: string, ...extra: string[]) =>
  runJson([...generateArgs(project.dir, name, prompt, 20), '--greedy', ...extra]);

describe.each(HF_MODELS)('generate on %s', (name: HfModelName) => {
  const want = expected(name);

  it("gives transformers' ids and 20 greedy tokens, plain and steered at the prompt positions", async () => {
    const { layer, k } = want.steer;
    // Two prompts per model through the CLI (the worker test runs all three in one batch).
    for (const [index, p] of want.prompts.slice(0, 2).entries()) {
      const plain = await generate(name, p.text);
      expect(plain.code).toBe(0);
      expect(plain.value).toMatchObject({
        promptIds: p.ids,
        generatedIds: p.greedy,
        spec: { method: 'none', layer: null, vector: null, chat: false },
      });
      // The vector from .npy for one prompt, from .safetensors for the other: the same steer.
      const file = index === 0 ? vectors[name].npy : vectors[name].safetensors;
      const steered = await generate(
        name,
        p.text,
        '--vector-file',
        file,
        '--layer',
        String(layer),
        '--k',
        String(k),
        '--method',
        'add',
        '--positions',
        'prompt',
      );
      expect(steered.code).toBe(0);
      expect(steered.value.generatedIds).toEqual(p.steered_greedy);
    }
  });
});

describe('generate', () => {
  const name = 'llama';
  const want = expected(name);
  const weights = readLmWeights(openLmFolder(fixtureFolder(name)));

  it('records the full spec, and streams the same text without --json', async () => {
    const p = want.prompts[0];
    const { layer, k } = want.steer;
    const args = ['--vector-file', vectors[name].npy, '--layer', String(layer), '--k', String(k)];
    const { value } = await generate(name, p.text, ...args);
    const model = project.db.prepare('SELECT sha256 FROM models WHERE name = ?').get(name) as { sha256: string };
    expect(value.spec).toEqual({
      model: { name, sha256: model.sha256 },
      chat: false,
      method: 'add',
      layer,
      positions: 'prompt',
      k,
      vector: { file: vectors[name].npy, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      sae: null,
      precision: 'fp32',
      decoding: { kind: 'greedy', tokens: 20, stopAtEos: false },
      loop: 'worker',
      ortVersion: expect.stringMatching(/^\d+\.\d+\.\d+/),
      provider: 'cpu',
      providerReason: expect.stringMatching(/using cpu$/),
    });
    expect(value.text.length).toBeGreaterThan(0);
    const human = await runCaptured([...generateArgs(project.dir, name, p.text, 20), ...args]);
    expect(human.code).toBe(0);
    expect(human.out).toBe(`${value.text}\n`);
    expect(human.err).toMatch(/20 tokens, cpu/);
  });

  it("--chat tokenises through the model's chat template as transformers does", async () => {
    const chats = JSON.parse(readFileSync(join(HF_DIR, 'tokenizer', 'expected-ids.json'), 'utf8')).chats as {
      messages: { content: string }[];
      add_generation_prompt: boolean;
      ids: number[];
    }[];
    const c = chats.find((x) => x.messages.length === 1 && x.add_generation_prompt)!;
    const { code, value } = await generate(name, c.messages[0].content, '--chat');
    expect(code).toBe(0);
    expect(value.promptIds).toEqual(c.ids);
    expect(value.spec.chat).toBe(true);
    expect(value.generatedIds).toEqual(referenceGreedy(weights, c.ids, 20));
  });

  it('ablate and cap along the unit vector, and an explicit position list, equal the fp64 reference', async () => {
    const p = want.prompts[2];
    const { layer, vector } = want.steer;
    const norm = Math.hypot(...vector);
    const direction = vector.map((x) => x / norm);
    const ablated = await generate(
      name,
      p.text,
      '--vector-file',
      vectors[name].npy,
      '--layer',
      String(layer),
      '--method',
      'ablate',
      '--positions',
      'all',
    );
    expect(ablated.code).toBe(0);
    expect(ablated.value.spec).toMatchObject({ method: 'ablate', k: null, positions: 'all' });
    expect(ablated.value.generatedIds).toEqual(
      referenceGreedy(weights, p.ids, 20, [{ method: 'ablate', layer, direction, positions: 'all' }]),
    );
    const capped = await generate(
      name,
      p.text,
      '--vector-file',
      vectors[name].npy,
      '--layer',
      String(layer),
      '--method',
      'cap',
      '--k=-1.5',
      '--positions',
      'generated',
    );
    expect(capped.code).toBe(0);
    expect(capped.value.generatedIds).toEqual(
      referenceGreedy(weights, p.ids, 20, [{ method: 'cap', cap: -1.5, layer, direction, positions: 'generated' }]),
    );
    // The prompt's own indices as a list steer exactly what 'prompt' steers.
    const list = p.ids.map((_, i) => i).join(',');
    const listed = await generate(
      name,
      p.text,
      '--vector-file',
      vectors[name].npy,
      '--layer',
      String(layer),
      '--k',
      String(want.steer.k),
      '--positions',
      list,
    );
    expect(listed.value.generatedIds).toEqual(p.steered_greedy);
    expect(listed.value.spec.positions).toEqual(p.ids.map((_, i) => i));
  });

  it('refuses bad requests by name: usage errors exit 2, a bad vector file or unknown model exit 1', async () => {
    const p = want.prompts[0].text;
    expect(await generate(name, p, '--layer', '1')).toMatchObject({
      code: 2,
      value: {
        error: {
          code: 'invalid_input',
          message: expect.stringMatching(/--layer needs --vector, --vector-file or --sae/),
        },
      },
    });
    expect(await generate(name, p, '--vector-file', vectors[name].npy, '--layer', '9', '--k', '1')).toMatchObject({
      code: 2,
      value: { error: { code: 'invalid_input' } },
    });
    expect(await generate(name, p, '--vector-file', vectors[name].npy, '--layer', '1')).toMatchObject({
      code: 2,
      value: { error: { message: expect.stringMatching(/--k is required/) } },
    });
    expect(
      await generate(name, p, '--vector-file', vectors[name].npy, '--layer', '1', '--k', '1', '--positions', 'first'),
    ).toMatchObject({ code: 2 });
    const short = join(tempDir(), 'short.npy');
    writeFileSync(short, npyBytes(new Float32Array(8), [8]));
    expect(await generate(name, p, '--vector-file', short, '--layer', '1', '--k', '1')).toMatchObject({
      code: 1,
      value: { error: { code: 'bad_file', details: { file: 'short.npy', field: 'shape' } } },
    });
    const two = join(tempDir(), 'two.safetensors');
    writeFileSync(
      two,
      safetensorsBytes([
        { name: 'a', shape: [64], data: new Float32Array(64) },
        { name: 'b', shape: [64], data: new Float32Array(64) },
      ]),
    );
    expect(await generate(name, p, '--vector-file', two, '--layer', '1', '--k', '1')).toMatchObject({
      code: 1,
      value: { error: { code: 'bad_file', details: { file: 'two.safetensors' } } },
    });
    expect(await generate('nope', p)).toMatchObject({
      code: 1,
      value: { error: { code: 'not_found', message: expect.stringMatching(/known: llama/) } },
    });
  });

  it('refuses a model whose weights changed since import (same size), and accepts one only touched', async () => {
    const dir = copyFixture('llama-linear-f16');
    expect((await runJson(['import-model', '--project', project.dir, '--path', dir, '--name', 'changing'])).code).toBe(
      0,
    );
    const weightsFile = join(dir, 'model.safetensors');
    const later = new Date(Date.now() + 60_000);
    utimesSync(weightsFile, later, later); // mtime moved, bytes the same: re-hashed and accepted
    const p = expected('llama-linear-f16').prompts[0];
    expect((await generate('changing', p.text)).value.generatedIds).toEqual(p.greedy);
    const bytes = readFileSync(weightsFile);
    bytes[bytes.length - 1] ^= 0x40;
    writeFileSync(weightsFile, bytes);
    const refused = await generate('changing', p.text);
    expect(refused).toMatchObject({
      code: 1,
      value: {
        error: {
          code: 'bad_file',
          message: expect.stringMatching(/model\.safetensors: model "changing" changed since it was imported/),
          details: { field: 'sha256' },
        },
      },
    });
  });
});
