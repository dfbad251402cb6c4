// `sightline sweep` beyond greedy add (issue 13), on the llama transformers fixture: each generation's
// KL strength in its meta (0 at k = 0, growing with |k|, what `generate` measures), a negative range
// written `--k -6:6:5`, the SAE-feature clamp, ablation (one cell per prompt) and seeded sampling,
// each cell equal to the same `generate`, sampling independent of the batch size; and `merge`
// refusing shards of sweeps that differ in method or seed.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject, type Project } from '../../src-main/project/project.js';
import { npyBytes, randomSae, tempDir, writeSaeLensDir } from '../engine/fixtures.js';
import { generateArgs, runJson } from '../helpers/cli.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

const want = expected('llama');
const { layer } = want.steer;
const prompts = want.prompts.slice(0, 2);
const TOKENS = '8';
let dir: string;
let project: string;
let promptsFile: string;
const opened: Project[] = [];

/** A project with the llama fixture, its vector as "v" and (unless `withSae` is false) an SAE "sae16". */
async function setUpProject(name: string, withSae = true): Promise<string> {
  const into = join(dir, name);
  const steps = [
    ['init', '--project', into],
    ['import-model', '--project', into, '--path', fixtureFolder('llama')],
    ['vector', 'import', '--project', into, '--path', join(dir, 'v.npy'), '--name', 'v'],
    ...(withSae ? [['import-sae', '--project', into, '--path', join(dir, 'sae'), '--name', 'sae16']] : []),
  ];
  for (const args of steps) expect((await runJson(args)).code).toBe(0);
  return into;
}

beforeAll(async () => {
  dir = tempDir();
  writeFileSync(join(dir, 'v.npy'), npyBytes(Float32Array.from(want.steer.vector), [want.steer.vector.length]));
  promptsFile = join(dir, 'prompts.txt');
  writeFileSync(promptsFile, `${prompts.map((p) => p.text).join('\n')}\n`);
  writeSaeLensDir(join(dir, 'sae'), randomSae('relu', 64, 16, 7));
  project = await setUpProject('methods.sightline');
});
afterAll(() => opened.forEach((p) => p.close()));

const sweep = (into: string, ...extra: string[]) =>
  runJson([
    'sweep',
    '--project',
    into,
    '--model',
    'llama',
    '--layer',
    String(layer),
    '--prompts',
    promptsFile,
    '--tokens',
    TOKENS,
    ...extra,
  ]);
const generate = (prompt: string, ...extra: string[]) =>
  runJson([...generateArgs(project, 'llama', prompt, TOKENS), '--layer', String(layer), ...extra]);

interface Cell {
  cell: number;
  prompt: string;
  k: number | null;
  generated: number[];
  meta: Record<string, any>;
  spec: Record<string, any>;
}

/** A sweep's generations (by cell) with their meta and steering spec. */
function cellsOf(projectDir: string, sweepId: string): Cell[] {
  const p = openProject(projectDir);
  opened.push(p);
  const rows = p.db
    .prepare(
      'SELECT g.prompt, g.meta_json, s.spec_json FROM generations g JOIN steering_specs s ON s.id = g.steering_spec_id',
    )
    .all() as { prompt: string; meta_json: string; spec_json: string }[];
  return rows
    .map((r) => ({ meta: JSON.parse(r.meta_json), spec: JSON.parse(r.spec_json), prompt: r.prompt }))
    .filter((r) => r.meta.sweep.id === sweepId)
    .map((r) => ({ ...r, cell: r.meta.sweep.cell, k: r.meta.k, generated: r.meta.generated_ids }))
    .sort((a, b) => a.cell - b.cell);
}

describe('sweep: strength, methods and sampling', () => {
  it("stores each generation's KL strength: 0 at k = 0, growing with |k|, as generate measures it; --k -6:6:5 parses", async () => {
    const run = await sweep(project, '--vector', 'v', '--k', '-6:6:5');
    expect(run).toMatchObject({ code: 0, value: { state: 'done', cells: 10, generated: 10 } });
    const cells = cellsOf(project, run.value.sweepId);
    for (const p of prompts) {
      const rows = cells.filter((c) => c.prompt === p.text);
      expect(rows.map((c) => c.k)).toEqual([-6, -3, 0, 3, 6]);
      const kl = new Map(rows.map((c) => [c.k, c.meta.kl as number]));
      expect(kl.get(0)).toBe(0);
      expect(rows.map((c) => c.meta.kl_baseline)).toEqual(['batch', 'batch', 'self', 'batch', 'batch']);
      expect(kl.get(3)).toBeGreaterThan(0);
      expect(kl.get(-3)).toBeGreaterThan(0);
      expect(kl.get(6)).toBeGreaterThan(kl.get(3)!);
      expect(kl.get(-6)).toBeGreaterThan(kl.get(-3)!);
      expect(rows.every((c) => c.meta.loop === 'worker' && c.meta.method === 'add')).toBe(true);
    }
    const one = await generate(prompts[0].text, '--vector', 'v', '--k', '-6');
    const cell = cells.find((c) => c.prompt === prompts[0].text && c.k === -6)!;
    expect(cell.generated).toEqual(one.value.generatedIds);
    expect(cell.meta.kl).toBeCloseTo(one.value.kl, 6);
  });

  it('--method clamp sets an SAE feature to each k, recording the SAE; each cell is the same generate', async () => {
    const clamp = ['--method', 'clamp', '--sae', 'sae16', '--feature', '5', '--positions', 'all'];
    const run = await sweep(project, ...clamp, '--k', '-4,0,20');
    expect(run).toMatchObject({ code: 0, value: { cells: 6, generated: 6 } });
    const cells = cellsOf(project, run.value.sweepId);
    const sae = cells[0].spec.sweep.sae;
    expect(sae).toEqual({ name: 'sae16', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), feature: 5 });
    expect(cells[0].spec.sweep).toMatchObject({ method: 'clamp', ks: [-4, 0, 20] });
    expect(cells[0].spec.sweep.vector).toBeUndefined();
    for (const c of cells) {
      // No row of a clamp sweep is unsteered (clamping to 0 is a steer): the baseline is one more prefill.
      expect(c.meta).toMatchObject({ method: 'clamp', sae_sha256: sae.sha256, sae_feature: 5, kl_baseline: 'prefill' });
    }
    for (const c of cells.filter((x) => x.prompt === prompts[1].text)) {
      const one = await generate(c.prompt, ...clamp, '--k', String(c.k));
      expect(c.generated).toEqual(one.value.generatedIds);
      expect(c.meta.kl).toBeCloseTo(one.value.kl, 6);
    }
    expect(new Set(cells.map((c) => c.generated.join())).size).toBeGreaterThan(2);
  });

  it('--method ablate takes no --k: one generation per prompt, k null, the same as generate', async () => {
    const run = await sweep(project, '--vector', 'v', '--method', 'ablate', '--positions', 'all');
    expect(run).toMatchObject({ code: 0, value: { cells: 2, generated: 2 } });
    const cells = cellsOf(project, run.value.sweepId);
    expect(cells.map((c) => c.k)).toEqual([null, null]);
    expect(cells[0].spec.sweep).toMatchObject({ method: 'ablate', ks: [] });
    const one = await generate(prompts[0].text, '--vector', 'v', '--method', 'ablate', '--positions', 'all');
    expect(cells[0].generated).toEqual(one.value.generatedIds);
    expect(await sweep(project, '--vector', 'v', '--method', 'ablate', '--k', '1')).toMatchObject({
      code: 2,
      value: { error: { message: expect.stringMatching(/ablate takes no k/) } },
    });
    expect(await sweep(project, '--vector', 'v')).toMatchObject({
      code: 2,
      value: { error: { message: expect.stringMatching(/--k is required/) } },
    });
  });

  it('samples with a recorded seed: each cell is the same sampled generate, whatever the batch size', async () => {
    const sampling = ['--temperature', '1.5', '--top-p', '0.95', '--seed', '7'];
    const run = await sweep(project, '--vector', 'v', '--k', '0,6', ...sampling);
    expect(run.code).toBe(0);
    const cells = cellsOf(project, run.value.sweepId);
    expect(cells[0].spec.sweep).toMatchObject({
      decoding: { kind: 'sample', temperature: 1.5, topP: 0.95, tokens: 8 },
      seed: 7,
    });
    expect(cells[0].meta.seed).toBe(7);
    const one = await generate(prompts[0].text, '--vector', 'v', '--k', '6', ...sampling);
    expect(cells.find((c) => c.prompt === prompts[0].text && c.k === 6)!.generated).toEqual(one.value.generatedIds);
    // One row per batch: the same cells (every row draws from its own stream).
    const alone = await setUpProject('alone.sightline', false);
    const single = await sweep(alone, '--vector', 'v', '--k', '0,6', ...sampling, '--batch', '1');
    expect(single.value.sweepId).toBe(run.value.sweepId);
    expect(cellsOf(alone, single.value.sweepId).map((c) => c.generated)).toEqual(cells.map((c) => c.generated));
    // Another seed: another sweep, other tokens.
    const other = await sweep(
      project,
      '--vector',
      'v',
      '--k',
      '0,6',
      '--temperature',
      '1.5',
      '--top-p',
      '0.95',
      '--seed',
      '8',
    );
    expect(other.value.sweepId).not.toBe(run.value.sweepId);
    expect(cellsOf(project, other.value.sweepId).map((c) => c.generated)).not.toEqual(cells.map((c) => c.generated));
  });

  it('merge refuses shards of sweeps that differ in method, or in seed, naming the field', async () => {
    const shard = (name: string, ...extra: string[]) =>
      sweep(project, '--vector', 'v', '--k', '1,2', '--shard', '0/2', '--out', join(dir, name), ...extra);
    expect((await shard('add')).code).toBe(0);
    expect((await shard('cap', '--method', 'cap')).code).toBe(0);
    expect((await shard('seed1', '--temperature', '1', '--seed', '1')).code).toBe(0);
    expect((await shard('seed2', '--temperature', '1', '--seed', '2')).code).toBe(0);
    for (const [a, b, field] of [
      ['add', 'cap', 'method'],
      ['seed1', 'seed2', 'seed'],
    ]) {
      const into = join(dir, `merged-${a}-${b}`);
      expect(await runJson(['merge', '--into', into, join(dir, a), join(dir, b)])).toMatchObject({
        code: 2,
        value: { error: { code: 'invalid_input', details: { field } } },
      });
      expect(existsSync(into)).toBe(false);
    }
  });
});

describe('campaign create --from generations on these sweeps', () => {
  it('keeps each generation’s method and KL strength with its hidden conditions, never in what raters see', async () => {
    const created = await runJson([
      'campaign',
      'create',
      '--project',
      project,
      '--name',
      'relatedness',
      '--template',
      'concept-relatedness',
      '--from',
      'generations',
    ]);
    expect(created.code).toBe(0);
    const p = openProject(project);
    opened.push(p);
    const items = p.db.prepare('SELECT payload_json, hidden_json, condition FROM items').all() as {
      payload_json: string;
      hidden_json: string;
      condition: string | null;
    }[];
    expect(items.length).toBeGreaterThan(10);
    for (const item of items) {
      const hidden = JSON.parse(item.hidden_json);
      expect(typeof hidden.kl).toBe('number');
      expect(['add', 'clamp', 'ablate', 'cap']).toContain(hidden.method);
      expect(item.condition).toBe(hidden.k === null ? hidden.method : `k=${hidden.k}`);
      expect(item.payload_json).not.toMatch(/kl|method|"k"/);
    }
    expect(items.some((item) => item.condition === 'ablate')).toBe(true);
  });
});
