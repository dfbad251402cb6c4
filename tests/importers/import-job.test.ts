// imports.start (issue 12): the importers run as a job the Overview page starts; progress comes as
// 'job.progress' events (steps done of all), the final event says done / failed / cancelled, a bad
// input fails naming the file and field and writes nothing, and a cancel stops it before the write.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiContext } from '../../src-main/api/context';
import { dispatch } from '../../src-main/api/dispatch';
import type { JobProgressEvent, JobSummary, ProjectOverview } from '../../src-main/contract';
import { databaseFingerprint } from '../helpers/fuzz';
import { contextFor, makeProject, researcher, tempDir } from '../helpers/factories';
import { jobEnded } from '../helpers/jobs';
import { SEQUENCES, WIDTH, writeDelphiCache } from '../mining/delphi-cache';
import { D_IN, D_SAE, writeSyntheticCorpus } from '../mining/synthetic';

function setUp() {
  const project = makeProject();
  const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'), { shards: 3 });
  const context = contextFor(project, researcher);
  const events: JobProgressEvent[] = [];
  context.events.subscribe((name, payload) => {
    if (name === 'job.progress') events.push(payload as JobProgressEvent);
  });
  return { project, corpus, context, events };
}

async function call<T>(context: ApiContext, name: string, input: unknown): Promise<T> {
  const result = await dispatch(name, input, context);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as T;
}

describe('imports.start', () => {
  it('imports an SAE and then activations as jobs with progress; the overview lists both', async () => {
    const { corpus, context, events } = setUp();
    const sae = await call<{ jobId: number }>(context, 'imports.start', {
      kind: 'sae',
      path: corpus.saeDir,
      name: 'layer sae',
    });
    expect(await jobEnded(context, sae.jobId, events)).toMatchObject({
      state: 'done',
      kind: 'import',
      done: 1,
      total: 2,
    });
    const acts = await call<{ jobId: number }>(context, 'imports.start', {
      kind: 'activations',
      path: corpus.sidecar,
      name: 'synthetic',
    });
    // Three shards checked and hashed, then the write: four steps, the first reported as it began.
    const last = await jobEnded(context, acts.jobId, events);
    expect(last).toMatchObject({ state: 'done', done: 3, total: 4 });
    expect(events.find((event) => event.jobId === acts.jobId && event.state === 'running')).toMatchObject({
      done: 0,
      total: 4,
      message: expect.stringContaining('checking and hashing'),
    });

    const overview = await call<ProjectOverview>(context, 'project.overview', {});
    expect(overview.saes.map((entry) => [entry.name, entry.dIn, entry.dSae])).toEqual([['layer sae', D_IN, D_SAE]]);
    expect(overview.corpora.map((entry) => [entry.name, entry.documentCount])).toEqual([
      ['synthetic', JSON.parse(fs.readFileSync(corpus.sidecar, 'utf8')).documents.length],
    ]);
    const jobs = await call<JobSummary[]>(context, 'jobs.list', {});
    expect(jobs.find((job) => job.id === acts.jobId)).toMatchObject({
      kind: 'import',
      state: 'done',
      unit: 'steps',
      cancellable: false,
      message: expect.stringMatching(/^imported corpus synthetic: \d+ documents/),
    });
  });

  it('imports a delphi cache folder as activations, one step per split, with the SAE it names', async () => {
    const { context, events } = setUp();
    const dir = path.join(tempDir(), 'cache');
    writeDelphiCache(dir);
    const splits = fs.readdirSync(dir).filter((name) => name.endsWith('.safetensors')).length;
    const { jobId } = await call<{ jobId: number }>(context, 'imports.start', {
      kind: 'activations',
      path: dir,
      name: 'cache',
      sae: 'delphi sae',
    });
    expect(await jobEnded(context, jobId, events)).toMatchObject({ state: 'done', done: splits, total: splits + 1 });
    const overview = await call<ProjectOverview>(context, 'project.overview', {});
    expect(overview.corpora.map((entry) => [entry.name, entry.documentCount])).toEqual([['cache', SEQUENCES]]);
    expect(overview.saes.map((entry) => [entry.name, entry.dSae])).toEqual([['delphi sae', WIDTH]]);
  });

  it('a path that is not there is refused at once; a bad sidecar fails the job naming the file and field, writing nothing', async () => {
    const { project, corpus, context, events } = setUp();
    const missing = path.join(tempDir(), 'nowhere.json');
    await expect(call(context, 'imports.start', { kind: 'activations', path: missing })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining(`path: ${missing}: no such file or folder`),
    });
    const sidecar = JSON.parse(fs.readFileSync(corpus.sidecar, 'utf8'));
    sidecar.d_in = 5;
    const bad = path.join(path.dirname(corpus.sidecar), 'bad.json');
    fs.writeFileSync(bad, JSON.stringify(sidecar));
    const before = databaseFingerprint(project.db);
    const { jobId } = await call<{ jobId: number }>(context, 'imports.start', { kind: 'activations', path: bad });
    const last = await jobEnded(context, jobId, events);
    expect(last.state).toBe('failed');
    expect(last.message).toMatch(/shape: expected \[n_tokens, 5\] \(bad\.json says d_in 5\)/);
    // The job row records the failure; nothing else changed.
    project.db.prepare('DELETE FROM jobs').run();
    expect(databaseFingerprint(project.db)).toBe(before);
  });

  it('jobs.cancel stops an import before it writes; a second import waits for the first', async () => {
    const { project, corpus, context, events } = setUp();
    const before = databaseFingerprint(project.db);
    const { jobId } = await call<{ jobId: number }>(context, 'imports.start', { kind: 'sae', path: corpus.saeDir });
    await expect(call(context, 'imports.start', { kind: 'activations', path: corpus.sidecar })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await call(context, 'jobs.cancel', { jobId })).toMatchObject({ requested: true });
    expect(await jobEnded(context, jobId, events)).toMatchObject({ state: 'cancelled' });
    expect(project.db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(jobId)).toBe('cancelled');
    project.db.prepare('DELETE FROM jobs').run();
    expect(databaseFingerprint(project.db)).toBe(before);
    // Free again once it ended (job ids start over after the DELETE, so only new events count).
    events.length = 0;
    const again = await call<{ jobId: number }>(context, 'imports.start', { kind: 'sae', path: corpus.saeDir });
    expect(await jobEnded(context, again.jobId, events)).toMatchObject({ state: 'done' });
  });
});
