// `sightline generate --precision` end to end (CLI, contract, engine worker): the precision is recorded
// in the spec, int8 tokens are the reference's on the int8 weights, the rewritten weights land in the
// project's cache/ and are reused by the next run, and a bad value is a usage error; `sweep --precision`
// records it on every generation and makes another sweep (another id) than fp32.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceGreedy } from '../../src-main/engine/lm/reference.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { npyBytes, tempDir } from '../engine/fixtures.js';
import { generateArgs, importModel, runCaptured, runJson } from '../helpers/cli.js';
import { expected, fixtureFolder } from './hf-fixtures.js';
import { storedAsFp32 } from './stored-weights.js';

let project: Project;
beforeAll(async () => {
  project = openProject(join(tempDir(), 'precision.sightline'), { create: true });
  await importModel(project.dir, fixtureFolder('llama'));
});
afterAll(() => project.close());

const prompt = expected('llama').prompts[0];
const args = (...extra: string[]) => [...generateArgs(project.dir, 'llama', prompt.text, 12), ...extra];
const generate = (...extra: string[]) => runJson(args(...extra));
const cacheDir = () => join(project.dir, 'cache');

describe('generate --precision', () => {
  it('fp32 by default: recorded in the spec, weights held in the graph (nothing cached)', async () => {
    const r = await generate();
    expect(r.code).toBe(0);
    expect(r.value.spec.precision).toBe('fp32');
    expect(r.value.generatedIds).toEqual(prompt.greedy.slice(0, 12));
    expect(existsSync(cacheDir())).toBe(false);
  });

  it("int8: the reference's tokens on the int8 weights, cached in the project and reused", async () => {
    const r = await generate('--precision', 'int8');
    expect(r.code).toBe(0);
    expect(r.value.spec.precision).toBe('int8');
    const ref = storedAsFp32(readLmWeights(openLmFolder(fixtureFolder('llama'))), 'int8');
    expect(r.value.generatedIds).toEqual(referenceGreedy(ref, prompt.ids, 12));
    const files = readdirSync(cacheDir()).sort();
    const sha = r.value.spec.model.sha256.slice(0, 16);
    expect(files).toEqual([`lm-${sha}-int8.json`, `lm-${sha}-int8.weights`]);
    const written = statSync(join(cacheDir(), files[1])).mtimeMs;
    const again = await generate('--precision', 'int8');
    expect(again.value.generatedIds).toEqual(r.value.generatedIds);
    expect(statSync(join(cacheDir(), files[1])).mtimeMs).toBe(written);
  });

  it('a precision it does not know is a usage error naming the flag', async () => {
    const r = await runCaptured(args('--precision', 'int3'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--precision: expected fp32, fp16, int8, int4, got "int3"/);
  });
});

describe('sweep --precision', () => {
  it('int4: every generation records it, and the sweep id differs from the fp32 sweep of the same grid', async () => {
    const dir = tempDir();
    const vector = join(dir, 'v.npy');
    const v = Float32Array.from(expected('llama').steer.vector);
    writeFileSync(vector, npyBytes(v, [v.length]));
    const prompts = join(dir, 'prompts.txt');
    writeFileSync(prompts, `${prompt.text}\n`);
    expect((await runJson(['vector', 'import', '--project', project.dir, '--path', vector, '--name', 'v'])).code).toBe(
      0,
    );
    const sweep = (precision: string) =>
      runJson([
        'sweep',
        '--project',
        project.dir,
        '--model',
        'llama',
        '--vector',
        'v',
        '--layer',
        '1',
        '--k',
        '0,4',
        '--prompts',
        prompts,
        '--tokens',
        '3',
        '--precision',
        precision,
      ]);
    const int4 = await sweep('int4');
    expect(int4.code).toBe(0);
    const fp32 = await sweep('fp32');
    expect(fp32.code).toBe(0);
    expect(int4.value.sweepId).not.toBe(fp32.value.sweepId);
    const rows = project.db.prepare('SELECT meta_json FROM generations').all() as { meta_json: string }[];
    const bySweep = new Map<string, string[]>();
    for (const row of rows) {
      const meta = JSON.parse(row.meta_json);
      if (!meta.sweep) continue;
      bySweep.set(meta.sweep.id, [...(bySweep.get(meta.sweep.id) ?? []), meta.precision]);
    }
    expect(bySweep.get(int4.value.sweepId)).toEqual(['int4', 'int4']);
    expect(bySweep.get(fp32.value.sweepId)).toEqual(['fp32', 'fp32']);
  });
});
