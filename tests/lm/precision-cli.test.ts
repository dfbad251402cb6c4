// `sightline generate --precision` end to end (CLI, contract, engine worker): the precision is recorded
// in the spec, int8 tokens are the reference's on the int8 weights, the rewritten weights land in the
// project's cache/ and are reused by the next run, and a bad value is a usage error.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceGreedy } from '../../src-main/engine/lm/reference.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { tempDir } from '../engine/fixtures.js';
import { runCaptured, runJson } from '../helpers/cli.js';
import { expected, fixtureFolder } from './hf-fixtures.js';
import { storedAsFp32 } from './stored-weights.js';

let project: Project;
beforeAll(async () => {
  project = openProject(join(tempDir(), 'precision.sightline'), { create: true });
  expect((await runJson(['import-model', '--project', project.dir, '--path', fixtureFolder('llama')])).code).toBe(0);
});
afterAll(() => project.close());

const prompt = expected('llama').prompts[0];
const generate = (...extra: string[]) =>
  runJson([
    'generate',
    '--project',
    project.dir,
    '--model',
    'llama',
    '--prompt',
    prompt.text,
    '--tokens',
    '12',
    ...extra,
  ]);
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
    const r = await runCaptured([
      'generate',
      '--project',
      project.dir,
      '--model',
      'llama',
      '--prompt',
      'x',
      '--tokens',
      '2',
      '--precision',
      'int3',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--precision: expected fp32, fp16, int8, int4, got "int3"/);
  });
});
