// Issue 12: `sightline sweep`, `sightline merge` of sweep shards and `sightline import-results` are
// the contract methods sweeps.run, sweeps.merge and results.import. Each is called here through
// dispatch as the researcher and again through the CLI on a twin project: the CLI's --json prints
// what the method answers, and its refusals are the method's, word for word.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { dispatch } from '../../src-main/api/dispatch';
import type { JobProgressEvent } from '../../src-main/contract/types';
import { exportCampaign } from '../../src-main/export';
import { openProject } from '../../src-main/project/project';
// A folder that outlives each test (the factories' is removed after each): the sweeps share it.
import { npyBytes, tempDir as lastingDir } from '../engine/fixtures';
import { runJson } from '../helpers/cli';
import { contextFor, makeProject, researcher, tempDir } from '../helpers/factories';
import { expected, fixtureFolder } from '../lm/hf-fixtures';
import { ratedTemplateCampaign } from '../export/template-fixtures';

describe('results.import is `sightline import-results`', () => {
  let exported: string;
  beforeAll(async () => {
    const source = makeProject();
    const { campaignId } = ratedTemplateCampaign(source, 'concept-choice');
    exported = path.join(lastingDir(), 'rated.jsonl');
    await exportCampaign(source.db, campaignId, { format: 'jsonl', out: exported });
  });

  it('answers what the CLI prints, on twin projects', async () => {
    const viaContract = makeProject();
    const viaCli = makeProject();
    const answer = await dispatch(
      'results.import',
      { path: exported, campaign: 'again' },
      contextFor(viaContract, researcher),
    );
    expect(answer).toMatchObject({ ok: true, value: { campaignName: 'again', format: 'jsonl', raters: 3 } });
    const printed = await runJson([
      'import-results',
      '--project',
      viaCli.dir,
      '--campaign',
      'again',
      '--path',
      exported,
    ]);
    expect(printed.code).toBe(0);
    expect(printed.value).toEqual((answer as { value: unknown }).value);
  });

  it('refuses as the CLI does, and writes nothing', async () => {
    const project = makeProject();
    const missingMapping = path.join(tempDir(), 'no-map.json');
    for (const [input, argv, code] of [
      [
        { path: exported, campaign: 'c', format: 'jsonl', template: 'concept-choice', mapping: missingMapping },
        ['--format', 'jsonl', '--template', 'concept-choice', '--mapping', missingMapping],
        1,
      ],
      [{ path: `${exported}.gone`, campaign: 'c' }, [], 1],
    ] as const) {
      const answer = await dispatch('results.import', input, contextFor(project, researcher));
      expect(answer.ok).toBe(false);
      const printed = await runJson([
        'import-results',
        '--project',
        project.dir,
        '--campaign',
        'c',
        '--path',
        input.path,
        ...argv,
      ]);
      expect(printed.code).toBe(code);
      expect(printed.value.error.message).toBe((answer as { error: { message: string } }).error.message);
    }
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(0);
  });
});

describe('sweeps.run and sweeps.merge are `sightline sweep` and `sightline merge`', () => {
  const want = expected('llama');
  let dir: string;
  let prompts: string;

  async function setUpProject(name: string): Promise<string> {
    const project = path.join(dir, `${name}.sightline`);
    expect((await runJson(['init', '--project', project])).code).toBe(0);
    expect((await runJson(['import-model', '--project', project, '--path', fixtureFolder('llama')])).code).toBe(0);
    const vector = path.join(dir, 'v.npy');
    const v = Float32Array.from(want.steer.vector);
    fs.writeFileSync(vector, npyBytes(v, [v.length]));
    expect((await runJson(['vector', 'import', '--project', project, '--path', vector, '--name', 'v'])).code).toBe(0);
    return project;
  }

  beforeAll(() => {
    dir = lastingDir();
    prompts = path.join(dir, 'prompts.txt');
    fs.writeFileSync(prompts, `${want.prompts.map((p) => p.text.replace(/\n/g, ' ')).join('\n')}\n`);
  });

  const settings = { model: 'llama', vector: 'v', layer: want.steer.layer, ks: [0, 6], tokens: 3 };
  const cliArgs = (project: string, out: string) => [
    'sweep',
    '--project',
    project,
    '--model',
    'llama',
    '--vector',
    'v',
    '--layer',
    String(want.steer.layer),
    '--k',
    '0,6',
    '--tokens',
    '3',
    '--greedy',
    '--prompts',
    prompts,
    '--shard',
    '0/2',
    '--out',
    out,
  ];
  /** What differs between twin runs by nature: the folder, the time taken and the job's id. */
  const comparable = ({ projectDir: _d, seconds: _s, jobId: _j, ...rest }: Record<string, unknown>) => rest;

  it('a shard run through the contract answers as the CLI prints; its shards merge as `merge` does', async () => {
    const viaContract = await setUpProject('contract');
    const viaCli = await setUpProject('cli');
    const project = openProject(viaContract);
    try {
      const events = new EventBus();
      const seen: { info: string[]; progress: JobProgressEvent[] } = { info: [], progress: [] };
      events.subscribe((name, payload) => {
        if (name === 'sweep.info') seen.info.push((payload as { message: string }).message);
        if (name === 'job.progress') seen.progress.push(payload as JobProgressEvent);
      });
      const shard = path.join(dir, 'contract-shard');
      const answer = await dispatch(
        'sweeps.run',
        { ...settings, promptsFile: prompts, shard: { index: 0, count: 2 }, out: shard },
        { project, events, caller: researcher },
      );
      expect(answer).toMatchObject({ ok: true, value: { state: 'done', shard: '0/2', projectDir: shard } });
      const summary = (answer as { value: Record<string, unknown> }).value;
      expect(seen.info.some((line) => line.startsWith(`sweep ${summary.sweepId}:`))).toBe(true);
      expect(seen.progress.at(-1)).toMatchObject({ state: 'done', kind: 'sweep' });

      const cliShard = path.join(dir, 'cli-shard');
      const printed = await runJson(cliArgs(viaCli, cliShard));
      expect(printed.code).toBe(0);
      expect(comparable(printed.value)).toEqual(comparable(summary));

      // Merged through the contract into the project, and by the CLI into a folder it creates.
      const merged = await dispatch('sweeps.merge', { shards: [shard] }, { project, events, caller: researcher });
      const into = path.join(dir, 'merged.sightline');
      const mergedCli = await runJson(['merge', '--into', into, cliShard]);
      expect(mergedCli.code).toBe(0);
      expect(merged).toEqual({ ok: true, value: mergedCli.value });
      expect(mergedCli.value).toMatchObject({ shards: 1, added: summary.cells, alreadyPresent: 0 });
    } finally {
      project.close();
    }
  });

  it('Ctrl-C reaches a shard whose job row is in the shard folder: jobs.cancel stops it', async () => {
    const projectDir = await setUpProject('cancel');
    const project = openProject(projectDir);
    try {
      const events = new EventBus();
      const context = { project, events, caller: researcher };
      const cancels: unknown[] = [];
      events.subscribe((name, payload) => {
        const e = payload as JobProgressEvent;
        if (name === 'job.progress' && e.state === 'running' && cancels.length === 0)
          cancels.push(dispatch('jobs.cancel', { jobId: e.jobId }, context));
      });
      const answer = await dispatch(
        'sweeps.run',
        { ...settings, promptsFile: prompts, shard: { index: 0, count: 1 }, out: path.join(dir, 'cancel-shard') },
        context,
      );
      expect(await cancels[0]).toMatchObject({ ok: true, value: { requested: true } });
      expect(answer).toMatchObject({ ok: true, value: { state: 'cancelled' } });
    } finally {
      project.close();
    }
  });

  it('refuses a request with neither a prompts file nor prompts, or both', async () => {
    const project = makeProject();
    for (const extra of [{}, { promptsFile: prompts, prompts: [{ prompt: 'a' }] }]) {
      expect(await dispatch('sweeps.run', { ...settings, ...extra }, contextFor(project, researcher))).toMatchObject({
        ok: false,
        error: { code: 'invalid_input' },
      });
    }
  });
});
