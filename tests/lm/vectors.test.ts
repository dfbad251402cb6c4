// `sightline vector import|from-sae|list` and `generate --vector NAME`: a vector from .npy,
// .safetensors (by --key), a torch.save state dict (by --key) and a bare torch.save tensor stores the
// same values and sha256; an SAE's decoder row; d_model checked against the model at use; bad files
// refused by name with nothing written; a named vector steers exactly as the file does.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject, type Project } from '../../src-main/project/project.js';
import {
  npyBytes,
  PickleWriter,
  randomSae,
  safetensorsBytes,
  tempDir,
  torchStateDictPickle,
  writeSaeLensDir,
  writeTorchZip,
} from '../engine/fixtures.js';
import { generateArgs, importModel, runJson } from '../helpers/cli.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

/** What torch.save(v) writes for one bare float32 tensor: the tensor itself is the pickle's root. */
function bareTensorPickle(values: Float32Array): { pickle: Uint8Array; storages: Uint8Array[] } {
  const w = new PickleWriter();
  w.op(0x80, 0x02).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
  w.op(0x28)
    .str('storage')
    .global('torch', 'FloatStorage')
    .str('0')
    .str('cpu')
    .int(values.length)
    .op(0x74)
    .put()
    .op(0x51);
  w.int(0).tuple([values.length]).tuple([1]).op(0x89);
  w.global('collections', 'OrderedDict').op(0x29, 0x52).put();
  w.op(0x74).put().op(0x52).put();
  return { pickle: w.finish(), storages: [new Uint8Array(values.buffer.slice(0))] };
}

const sha256Of = (values: Float32Array) =>
  createHash('sha256')
    .update(Buffer.from(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');

let project: Project;
let dir: string;
const want = expected('llama');
const v = Float32Array.from(want.steer.vector);
const other = Float32Array.from(v, (x) => -x);
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir();
  project = openProject(join(dir, 'test.sightline'), { create: true });
  await importModel(project.dir, fixtureFolder('llama'));
  files.npy = join(dir, 'v.npy');
  writeFileSync(files.npy, npyBytes(v, [v.length]));
  files.safetensors = join(dir, 'two.safetensors');
  writeFileSync(
    files.safetensors,
    safetensorsBytes([
      { name: 'other', shape: [v.length], data: other },
      { name: 'class/strawberry', shape: [1, v.length], data: v },
    ]),
  );
  const dict = torchStateDictPickle([
    { name: 'other', shape: [v.length], data: other },
    { name: 'directions.strawberry', shape: [v.length], data: v },
  ]);
  files.dict = writeTorchZip(join(dir, 'dict.pt'), dict.pickle, dict.storages);
  const bare = bareTensorPickle(v);
  files.bare = writeTorchZip(join(dir, 'bare.pt'), bare.pickle, bare.storages);
  files.wrong = join(dir, 'wrong.npy');
  writeFileSync(
    files.wrong,
    npyBytes(
      Float32Array.from({ length: 32 }, (_, i) => i),
      [32],
    ),
  );
  files.matrix = join(dir, 'matrix.npy');
  writeFileSync(
    files.matrix,
    npyBytes(
      Float32Array.from({ length: 128 }, (_, i) => i),
      [2, 64],
    ),
  );
});
afterAll(() => project.close());

const vector = (...args: string[]) => runJson(['vector', ...args, '--project', project.dir]);
const count = () => project.db.prepare('SELECT count(*) FROM vectors').pluck().get() as number;

describe('vector import', () => {
  it('stores the same values and sha256 from .npy, .safetensors --key, a .pt state dict --key and a bare .pt tensor', async () => {
    const npy = await vector('import', '--path', files.npy, '--name', 'from-npy');
    const st = await vector('import', '--path', files.safetensors, '--name', 'from-st', '--key', 'class/strawberry');
    const dict = await vector('import', '--path', files.dict, '--name', 'from-dict', '--key', 'directions.strawberry');
    const bare = await vector('import', '--path', files.bare);
    for (const result of [npy, st, dict, bare]) {
      expect(result.code).toBe(0);
      expect(result.value).toMatchObject({ dModel: 64, sha256: sha256Of(v) });
      expect(result.value.norm).toBeCloseTo(Math.hypot(...v), 4);
    }
    expect(npy.value.source).toMatchObject({
      kind: 'file',
      format: 'npy',
      path: files.npy,
      key: null,
      fileSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(st.value.source).toMatchObject({ format: 'safetensors', key: 'class/strawberry' });
    expect(dict.value.source).toMatchObject({ format: 'pt', key: 'directions.strawberry' });
    expect(bare.value).toMatchObject({ name: 'bare', source: { format: 'pt', key: null } });
    const list = await vector('list');
    expect(list.value.map((x: { name: string }) => x.name)).toEqual(['from-npy', 'from-st', 'from-dict', 'bare']);
  });

  it('refuses bad files by name and field, a taken name, and writes nothing', async () => {
    const before = count();
    expect(await vector('import', '--path', files.safetensors, '--name', 'x')).toMatchObject({
      code: 1,
      value: { error: { code: 'bad_file', details: { file: 'two.safetensors', field: '(tensors)' } } },
    });
    expect(await vector('import', '--path', files.dict, '--name', 'x', '--key', 'missing')).toMatchObject({
      code: 1,
      value: {
        error: {
          code: 'bad_file',
          message: expect.stringMatching(/directions\.strawberry/),
          details: { file: 'dict.pt', field: 'missing' },
        },
      },
    });
    expect(await vector('import', '--path', files.matrix, '--name', 'x')).toMatchObject({
      code: 1,
      value: { error: { code: 'bad_file', details: { file: 'matrix.npy', field: 'shape' } } },
    });
    expect(await vector('import', '--path', files.npy, '--name', 'from-npy')).toMatchObject({
      code: 1,
      value: { error: { code: 'conflict' } },
    });
    expect(count()).toBe(before);
  });
});

describe('vector from-sae', () => {
  it("stores the SAE's decoder row", async () => {
    const sae = randomSae('relu', 64, 16, 7);
    const saeDir = writeSaeLensDir(join(dir, 'sae'), sae);
    expect((await runJson(['import-sae', '--project', project.dir, '--path', saeDir, '--name', 'sae16'])).code).toBe(0);
    const result = await vector('from-sae', '--sae', 'sae16', '--feature', '5');
    expect(result.code).toBe(0);
    const row = sae.W_dec.slice(5 * 64, 6 * 64);
    expect(result.value).toMatchObject({
      name: 'sae16/5',
      dModel: 64,
      sha256: sha256Of(row),
      source: { kind: 'sae', sae: 'sae16', feature: 5 },
    });
    const before = count();
    expect(await vector('from-sae', '--sae', 'sae16', '--feature', '16')).toMatchObject({
      code: 2,
      value: { error: { code: 'invalid_input', message: expect.stringMatching(/0\.\.15/) } },
    });
    expect(await vector('from-sae', '--sae', 'nope', '--feature', '1')).toMatchObject({
      code: 1,
      value: { error: { code: 'not_found' } },
    });
    expect(count()).toBe(before);
  });
});

describe('generate --vector', () => {
  it('steers exactly as the file does, records the name and sha256, and checks d_model against the model', async () => {
    const p = want.prompts[0];
    const { layer, k } = want.steer;
    const steered = await runJson([
      ...generateArgs(project.dir, 'llama', p.text, 20),
      '--vector',
      'from-npy',
      '--layer',
      String(layer),
      '--k',
      String(k),
    ]);
    expect(steered.code).toBe(0);
    expect(steered.value.generatedIds).toEqual(p.steered_greedy);
    expect(steered.value.spec.vector).toEqual({ name: 'from-npy', sha256: sha256Of(v) });

    expect((await vector('import', '--path', files.wrong, '--name', 'short')).code).toBe(0);
    const mismatch = await runJson([
      ...generateArgs(project.dir, 'llama', p.text, 2),
      '--vector',
      'short',
      '--layer',
      '1',
      '--k',
      '1',
    ]);
    expect(mismatch).toMatchObject({
      code: 2,
      value: { error: { code: 'invalid_input', message: expect.stringMatching(/d_model 32 .*d_model 64/) } },
    });
    const unknown = await runJson([
      ...generateArgs(project.dir, 'llama', p.text, 2),
      '--vector',
      'nope',
      '--layer',
      '1',
      '--k',
      '1',
    ]);
    expect(unknown).toMatchObject({
      code: 1,
      value: { error: { code: 'not_found', message: expect.stringMatching(/from-npy/) } },
    });
  });
});
