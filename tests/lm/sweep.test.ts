// `sightline sweep` and `sightline merge` on the llama transformers fixture: a sweep's greedy tokens
// are transformers' at k = 0 and k = 6 (expected.json) and `generate`'s at the k between; a cancelled
// sweep, run again, resumes and ends with the generations of an uncancelled one; three shards merged
// equal one unsharded run, a second merge adds nothing, and shards of another sweep are refused by
// field; `campaign create --from generations` keeps k and layer hidden from raters.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import type { JobProgressEvent } from '../../src-main/contract/types.js';
import { JobRunner } from '../../src-main/jobs/runner.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { runSweep, type SweepOptions } from '../../src-main/steer/sweep.js';
import { npyBytes, tempDir } from '../engine/fixtures.js';
import { generateArgs, importModel, runJson } from '../helpers/cli.js';
import { contextFor, researcher } from '../helpers/factories.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

const want = expected('llama');
const { layer } = want.steer;
const KS = ['0', '3', '6'];
let dir: string;
let promptsCsv: string;
let vectorFile: string;
const opened: Project[] = [];

/** A project with the llama fixture and the fixture's vector imported as "v". */
async function setUpProject(name: string): Promise<string> {
  const project = join(dir, `${name}.sightline`);
  expect((await runJson(['init', '--project', project])).code).toBe(0);
  await importModel(project, fixtureFolder('llama'));
  expect((await runJson(['vector', 'import', '--project', project, '--path', vectorFile, '--name', 'v'])).code).toBe(0);
  return project;
}

const sweepArgs = (project: string, ...extra: string[]) => [
  'sweep',
  '--project',
  project,
  '--model',
  'llama',
  '--vector',
  'v',
  '--layer',
  String(layer),
  '--k',
  `${KS[0]}:${KS[2]}:3`,
  '--prompts',
  promptsCsv,
  '--tokens',
  '20',
  '--greedy',
  ...extra,
];

interface Row {
  cell: number;
  prompt: string;
  text: string;
  k: number;
  generated: number[];
}

/** The sweep's generations of a project, by cell: what must match between runs. */
function generationsOf(projectDir: string): Row[] {
  const project = openProject(projectDir);
  opened.push(project);
  return (
    project.db.prepare('SELECT prompt, output_text, meta_json FROM generations ORDER BY id').all() as {
      prompt: string;
      output_text: string;
      meta_json: string;
    }[]
  )
    .map((g) => {
      const meta = JSON.parse(g.meta_json);
      return { cell: meta.sweep.cell, prompt: g.prompt, text: g.output_text, k: meta.k, generated: meta.generated_ids };
    })
    .sort((a, b) => a.cell - b.cell);
}

let reference: string;
let referenceRows: Row[];

beforeAll(async () => {
  dir = tempDir();
  vectorFile = join(dir, 'v.npy');
  const v = Float32Array.from(want.steer.vector);
  writeFileSync(vectorFile, npyBytes(v, [v.length]));
  // Quoted CSV: a prompt with a comma, classes for the concept-choice campaign.
  promptsCsv = join(dir, 'prompts.csv');
  const classes = [
    ['goldfish', 'strawberry', 'volcano;school bus'],
    ['tabby cat', 'golden retriever', 'goldfish;volcano'],
    ['school bus', 'volcano', 'strawberry;tabby cat'],
  ];
  writeFileSync(
    promptsCsv,
    `prompt,source_class,target_class,distractors\n${want.prompts.map((p, i) => `"${p.text.replace(/"/g, '""')}",${classes[i].join(',')}`).join('\n')}\n`,
  );
  reference = await setUpProject('reference');
  const run = await runJson(sweepArgs(reference));
  expect(run.code).toBe(0);
  expect(run.value).toMatchObject({ state: 'done', cells: 9, generated: 9, skipped: 0, provider: 'cpu' });
  referenceRows = generationsOf(reference);
});
afterAll(() => opened.forEach((p) => p.close()));

describe('sweep', () => {
  it("gives transformers' greedy tokens at k = 0 and k = 6 and generate's at k = 3, one generation per (prompt, k) with the full spec", async () => {
    expect(referenceRows.map((r) => r.cell)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const [index, p] of want.prompts.entries()) {
      const rows = referenceRows.filter((r) => r.prompt === p.text);
      expect(rows.map((r) => r.k)).toEqual([0, 3, 6]);
      expect(rows[0].generated).toEqual(p.greedy);
      expect(rows[2].generated).toEqual(p.steered_greedy);
      if (index === 0) {
        const one = await runJson([
          ...generateArgs(reference, 'llama', p.text, 20),
          '--vector',
          'v',
          '--layer',
          String(layer),
          '--k',
          '3',
        ]);
        expect(rows[1].generated).toEqual(one.value.generatedIds);
        expect(rows[1].text).toBe(one.value.text);
      }
    }
    const project = openProject(reference);
    opened.push(project);
    const spec = project.db.prepare('SELECT * FROM steering_specs WHERE coefficient = 6').get() as Record<string, any>;
    const model = project.db.prepare("SELECT sha256 FROM models WHERE name = 'llama'").get() as { sha256: string };
    const vector = project.db.prepare("SELECT sha256 FROM vectors WHERE name = 'v'").get() as { sha256: string };
    expect(spec).toMatchObject({ method: 'add', layer, positions: 'prompt', vector_sha256: vector.sha256 });
    expect(JSON.parse(spec.spec_json)).toMatchObject({
      k: 6,
      sweep: {
        model: { sha256: model.sha256 },
        vector: { sha256: vector.sha256 },
        layer,
        ks: [0, 3, 6],
        precision: 'fp32',
        decoding: { kind: 'greedy', tokens: 20 },
        seed: 0,
      },
    });
    const meta = JSON.parse(
      (
        project.db.prepare('SELECT meta_json FROM generations WHERE steering_spec_id = ? LIMIT 1').get(spec.id) as {
          meta_json: string;
        }
      ).meta_json,
    );
    expect(meta).toMatchObject({
      k: 6,
      layer,
      source_class: 'goldfish',
      target_class: 'strawberry',
      distractors: ['volcano', 'school bus'],
      provider: 'cpu',
      ort_version: expect.stringMatching(/^\d+\.\d+/),
    });
  });

  it('a cancelled sweep, run again, resumes and ends with the same generations as an uncancelled one', async () => {
    const dirOf = await setUpProject('cancelled');
    const project = openProject(dirOf);
    opened.push(project);
    const options: SweepOptions = {
      model: 'llama',
      vector: 'v',
      layer,
      ks: [0, 3, 6],
      promptsFile: promptsCsv,
      positions: 'prompt',
      tokens: 20,
      chat: false,
      shard: null,
      batch: 2,
    };
    const runner = new JobRunner();
    const first = await runSweep(project, {
      ...options,
      runner,
      progressIntervalMs: 0,
      listener: (e) => e.done >= 2 && runner.cancel(),
    });
    expect(first).toMatchObject({ state: 'cancelled', generated: 2 });
    const job = project.db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(first.jobId);
    expect(job).toBe('cancelled');
    const second = await runSweep(project, options);
    expect(second).toMatchObject({ state: 'done', skipped: 2, generated: 7, cells: 9 });
    expect(generationsOf(dirOf)).toEqual(referenceRows);
    // Once done, the same sweep again changes nothing.
    expect(await runSweep(project, options)).toMatchObject({ state: 'done', skipped: 9, generated: 0 });
    expect(generationsOf(dirOf)).toHaveLength(9);
  });

  it('three shards merged equal one unsharded run; a second merge adds nothing; shards of another sweep are refused by field', async () => {
    const base = await setUpProject('sharded');
    const shardDirs = [0, 1, 2].map((i) => join(dir, `shard-${i}`));
    for (const [i, out] of shardDirs.entries()) {
      const run = await runJson(sweepArgs(base, '--shard', `${i}/3`, '--out', out));
      expect(run.code).toBe(0);
      expect(run.value).toMatchObject({ state: 'done', shard: `${i}/3`, cells: 3, projectDir: out });
    }
    expect(generationsOf(base)).toEqual([]);
    const merged = join(dir, 'merged.sightline');
    const first = await runJson(['merge', '--into', merged, ...shardDirs]);
    expect(first).toMatchObject({ code: 0, value: { shards: 3, added: 9, alreadyPresent: 0, present: 9, cells: 9 } });
    expect(generationsOf(merged)).toEqual(referenceRows);
    expect((await runJson(['merge', '--into', merged, ...shardDirs])).value).toMatchObject({
      added: 0,
      alreadyPresent: 9,
      present: 9,
    });
    expect(generationsOf(merged)).toHaveLength(9);

    const other = join(dir, 'other-shard');
    expect(
      (await runJson([...sweepArgs(base, '--shard', '0/3', '--out', other)].map((a) => (a === '20' ? '5' : a)))).code,
    ).toBe(0);
    const refused = await runJson(['merge', '--into', join(dir, 'refused.sightline'), shardDirs[0], other]);
    expect(refused).toMatchObject({
      code: 2,
      value: {
        error: {
          code: 'invalid_input',
          message: expect.stringMatching(/decoding\.tokens is 20 in .* but 5 in/),
          details: { field: 'decoding.tokens' },
        },
      },
    });
    // Refused before anything is written: not even the target folder is created.
    expect(existsSync(join(dir, 'refused.sightline'))).toBe(false);
  });

  it('refuses bad requests by name', async () => {
    expect(await runJson(sweepArgs(reference, '--shard', '3/3'))).toMatchObject({
      code: 2,
      value: { error: { message: expect.stringMatching(/--shard/) } },
    });
    expect(await runJson(sweepArgs(reference).map((a) => (a === '0:6:3' ? '0:6' : a)))).toMatchObject({
      code: 2,
      value: { error: { message: expect.stringMatching(/--k/) } },
    });
    const noPrompt = join(dir, 'bad.jsonl');
    writeFileSync(noPrompt, '{"prompt": "fine"}\n{"text": "no prompt"}\n');
    expect(await runJson(sweepArgs(reference).map((a) => (a === promptsCsv ? noPrompt : a)))).toMatchObject({
      code: 1,
      value: { error: { code: 'bad_file', details: { file: 'bad.jsonl', field: 'line 2: prompt' } } },
    });
  });
});

describe('sweeps.start', () => {
  it('runs the same sweep in the background with job.progress events, listed by jobs.list', async () => {
    const dirOf = await setUpProject('api');
    const project = openProject(dirOf);
    opened.push(project);
    const context = contextFor(project, researcher);
    const events: JobProgressEvent[] = [];
    let finish: (event: JobProgressEvent) => void = () => {};
    const ended = new Promise<JobProgressEvent>((resolve) => (finish = resolve));
    context.events.subscribe((name, payload) => {
      if (name !== 'job.progress') return;
      const event = payload as JobProgressEvent;
      events.push(event);
      if (event.state !== 'running') finish(event);
    });
    const prompts = want.prompts.map((p, i) => ({
      prompt: p.text,
      ...(i === 0
        ? { sourceClass: 'goldfish', targetClass: 'strawberry', distractors: ['volcano', 'school bus'] }
        : {}),
    }));
    const refused = await dispatch(
      'sweeps.start',
      { model: 'llama', vector: 'nope', layer, ks: [0, 3, 6], prompts, tokens: 20 },
      context,
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const started = await dispatch(
      'sweeps.start',
      { model: 'llama', vector: 'v', layer, ks: [0, 3, 6], prompts, tokens: 20 },
      context,
    );
    expect(started).toMatchObject({ ok: true, value: { jobId: expect.any(Number) } });
    const last = await ended;
    expect(last).toMatchObject({ kind: 'sweep', state: 'done', done: 9, total: 9 });
    expect(generationsOf(dirOf).map(({ cell, text, generated }) => ({ cell, text, generated }))).toEqual(
      referenceRows.map(({ cell, text, generated }) => ({ cell, text, generated })),
    );
    const jobs = await dispatch('jobs.list', { limit: 5 }, context);
    expect(jobs).toMatchObject({
      ok: true,
      value: [{ kind: 'sweep', state: 'done', done: 9, total: 9, unit: 'generations' }],
    });
  });
});

describe('campaign create --from generations on a sweep', () => {
  it('builds concept-choice items with k, layer and the classes hidden from raters', async () => {
    const created = await runJson([
      'campaign',
      'create',
      '--project',
      reference,
      '--name',
      'steered',
      '--template',
      'concept-choice',
      '--from',
      'generations',
    ]);
    expect(created.code).toBe(0);
    const project = openProject(reference);
    opened.push(project);
    const items = project.db.prepare('SELECT payload_json, hidden_json FROM items').all() as {
      payload_json: string;
      hidden_json: string;
    }[];
    expect(items).toHaveLength(9);
    for (const item of items) {
      const hidden = JSON.parse(item.hidden_json);
      expect([0, 3, 6]).toContain(hidden.k);
      expect(hidden.layer).toBe(layer);
      const payload = item.payload_json;
      expect(JSON.parse(payload).options).toHaveLength(4);
      expect(payload).not.toMatch(/"k"|"layer"|sweep|source_class|target_class/);
    }
  });
});
