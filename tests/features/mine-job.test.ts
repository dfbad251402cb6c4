// mine.start runs mining in this process as a job: progress arrives as 'job.progress' events, the
// final event says done / cancelled, jobs.cancel reaches it through the registry, and a second mine
// of the same SAE is refused while one runs.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { ApiContext } from '../../src-main/api/context';
import type { JobProgressEvent, JobSummary, ProjectOverview } from '../../src-main/contract';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { jobRegistry } from '../../src-main/jobs/registry';
import { contextFor, makeProject, researcher, tempDir } from '../helpers/factories';
import { jobEnded } from '../helpers/jobs';
import { D_SAE, writeSyntheticCorpus } from '../mining/synthetic';

async function setup() {
  const project = makeProject();
  const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'));
  await importSae(project, { path: corpus.saeDir, name: 'sae' });
  await importDenseActivations(project, corpus.sidecar, 'corpus');
  const context = contextFor(project, researcher);
  const events: JobProgressEvent[] = [];
  context.events.subscribe((name, payload) => {
    if (name === 'job.progress') events.push(payload as JobProgressEvent);
  });
  const ids = {
    saeId: project.db.prepare('SELECT id FROM saes').pluck().get() as number,
    corpusId: project.db.prepare('SELECT id FROM corpora').pluck().get() as number,
  };
  return { project, context, events, ids, corpus };
}

async function ok<T>(context: ApiContext, name: string, input: unknown): Promise<T> {
  const result = await dispatch(name, input, context);
  if (!result.ok) throw new Error(`${name}: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

const table = (context: ApiContext, sql: string) => JSON.stringify(context.project.db.prepare(sql).all());
const FEATURES = 'SELECT * FROM features ORDER BY id';
const EXAMPLES = 'SELECT * FROM examples ORDER BY id';

describe('mine.start', () => {
  it('mines in the background, forwards progress events and ends with done; jobs.list and the overview show it', async () => {
    const { context, events, ids, corpus } = await setup();
    const { jobId } = await ok<{ jobId: number }>(context, 'mine.start', { ...ids, top: 3, provider: 'cpu' });
    expect(jobId).toBeGreaterThan(0);
    expect(jobRegistry.get(context.project.dir, jobId)).toBeDefined();
    const running = await ok<JobSummary[]>(context, 'jobs.list', {});
    expect(running[0]).toMatchObject({
      id: jobId,
      kind: 'mine',
      state: 'running',
      cancellable: true,
      unit: 'tokens',
      params: 'SAE sae × corpus corpus, top 3, k 64, equal-count',
    });

    const last = await jobEnded(context, jobId, events);
    expect(last).toMatchObject({ jobId, kind: 'mine', state: 'done', etaSeconds: 0 });
    expect(last.done).toBeGreaterThan(0);
    expect(last.done).toBe(last.total);
    expect(last.message).toMatch(/features alive, .* examples, .* on cpu/);
    const mine = events.filter((e) => e.jobId === jobId);
    expect(mine[0]).toMatchObject({ state: 'running', message: expect.stringContaining('starting') });
    expect(mine.some((e) => e.state === 'running' && /encoding on cpu/.test(e.message ?? ''))).toBe(true);
    expect(mine.filter((e) => e.state !== 'running')).toHaveLength(1);

    expect(jobRegistry.get(context.project.dir, jobId)).toBeUndefined();
    expect(context.project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(D_SAE);
    const [listed] = await ok<JobSummary[]>(context, 'jobs.list', {});
    expect(listed).toMatchObject({ id: jobId, state: 'done', cancellable: false, error: null, message: last.message });
    const overview = await ok<ProjectOverview>(context, 'project.overview', {});
    expect(overview.engine).toMatchObject({
      provider: 'cpu',
      reason: expect.stringMatching(/cpu/),
      source: `mine job ${jobId} (SAE sae)`,
    });
    expect(overview.corpora).toEqual([
      { id: ids.corpusId, name: 'corpus', documentCount: 12, rows: corpus.rows.length, model: null, layer: 7 },
    ]);
  });

  it('refuses a second mine of the same SAE while one runs (conflict), and jobs.cancel ends the first as cancelled with the project unchanged', async () => {
    const { context, events, ids } = await setup();
    // A first complete mining, so "unchanged" means the earlier results survive a cancelled re-run.
    const first = await ok<{ jobId: number }>(context, 'mine.start', { ...ids, top: 3 });
    await jobEnded(context, first.jobId, events);
    const featuresBefore = table(context, FEATURES);
    const examplesBefore = table(context, EXAMPLES);

    const { jobId } = await ok<{ jobId: number }>(context, 'mine.start', { ...ids, top: 5 });
    const second = await dispatch('mine.start', { ...ids, top: 5 }, context);
    expect(second).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringContaining(`job ${jobId}`) },
    });
    await expect(ok(context, 'jobs.cancel', { jobId })).resolves.toEqual({ jobId, requested: true, state: 'running' });
    const last = await jobEnded(context, jobId, events);
    expect(last).toMatchObject({ jobId, state: 'cancelled', message: expect.stringContaining('unchanged') });
    expect(table(context, FEATURES)).toBe(featuresBefore);
    expect(table(context, EXAMPLES)).toBe(examplesBefore);
    expect(context.project.db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(jobId)).toBe('cancelled');
    // Finished: cancelling again asks nothing, and a new mine may start.
    await expect(ok(context, 'jobs.cancel', { jobId })).resolves.toEqual({
      jobId,
      requested: false,
      state: 'cancelled',
    });
    const third = await ok<{ jobId: number }>(context, 'mine.start', ids);
    await expect(jobEnded(context, third.jobId, events)).resolves.toMatchObject({ state: 'done' });
  });

  it('reports refusals before the job starts as the call error, and unknown jobs as not_found', async () => {
    const { context, events, ids } = await setup();
    await expect(dispatch('mine.start', { ...ids, saeId: 999 }, context)).resolves.toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringContaining('saeId 999') },
    });
    await expect(dispatch('mine.start', { ...ids, corpusId: 999 }, context)).resolves.toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    await expect(dispatch('jobs.cancel', { jobId: 12345 }, context)).resolves.toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(jobRegistry.list(context.project.dir)).toEqual([]);
    // The refused start released its claim on the SAE.
    const { jobId } = await ok<{ jobId: number }>(context, 'mine.start', ids);
    expect(jobId).toBeGreaterThan(0);
    await ok(context, 'jobs.cancel', { jobId });
    await expect(jobEnded(context, jobId, events)).resolves.toMatchObject({ state: 'cancelled' });
  });
});
