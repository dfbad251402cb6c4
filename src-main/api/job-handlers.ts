// Jobs seen from the UI: recent jobs from the jobs table (with rate and ETA of live runs from the
// registry), cancel through the one in-process registry, and mine.start, which runs `mine()` in
// this process in the background and forwards its progress as 'job.progress' events.
import type { jobMethods } from '../contract/jobs';
import type { JobProgressEvent, JobSummary } from '../contract/types';
import { jobRegistry, TrackedJobRunner } from '../jobs/registry';
import { mine, type MineOptions, type MineSummary } from '../mining/mine';
import { mergeMineShards, type MineMergeSummary } from '../mining/merge-shards';
import { openProject, type Project } from '../project/project';
import { corpusNameById, findCorpusById, getCorpus } from '../store/corpora';
import type { Db } from '../store/db';
import { getJob, listRecentJobs, runningMineJobsOfSae, type RawJob } from '../store/jobs';
import { findSaeById, getSaeByName, saeNameById } from '../store/saes';
import { AppError } from '../util/errors';
import type { ApiContext } from './context';
import type { HandlersFor } from './handlers';

const UNITS: Record<string, string> = {
  mine: 'tokens',
  export: 'rows',
  import: 'steps',
  sweep: 'generations',
  capture: 'documents',
  probe: 'shards',
};

function processAlive(pid: number | null): boolean {
  if (pid === null) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const NAME_BY_ID = { saes: saeNameById, corpora: corpusNameById };

const nameOf = (db: Db, table: 'saes' | 'corpora', id: unknown): string =>
  typeof id === 'number' ? (NAME_BY_ID[table](db, id) ?? `#${id} (deleted)`) : '?';

/** "SAE layer10 × corpus demo, top 20, k 64, equal-count"; other kinds list their plain params. */
export function paramsSummary(db: Db, kind: string, params: Record<string, unknown>): string {
  if (kind === 'mine') {
    return `SAE ${nameOf(db, 'saes', params.sae)} × corpus ${nameOf(db, 'corpora', params.corpus)}, top ${params.top}, k ${params.k}, ${params.scheme}`;
  }
  return Object.entries(params)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .slice(0, 6)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

function toSummary(project: Project, raw: RawJob): JobSummary {
  const live = jobRegistry.get(project.dir, raw.id);
  let params: Record<string, unknown> = {};
  try {
    params = JSON.parse(raw.params_json) as Record<string, unknown>;
  } catch {
    // A malformed row still lists; its summary is empty.
  }
  const elapsed = (raw.updated_at - raw.created_at) / 1000;
  let message = live?.message ?? jobRegistry.note(project.dir, raw.id)?.message ?? null;
  if (!live && raw.state === 'running') {
    message = processAlive(raw.owner_pid)
      ? `running in another process (pid ${raw.owner_pid}); stop it there`
      : `interrupted: its process (pid ${raw.owner_pid ?? '?'}) ended; start it again to resume from its checkpoint`;
  }
  return {
    id: raw.id,
    kind: raw.kind,
    state: raw.state,
    done: live?.last?.done ?? raw.progress_done,
    total: live?.last?.total ?? raw.progress_total,
    unit: UNITS[raw.kind] ?? 'items',
    ratePerSecond: live
      ? (live.last?.ratePerSecond ?? null)
      : elapsed > 0 && raw.state === 'done'
        ? raw.progress_done / elapsed
        : null,
    etaSeconds: live ? (live.last?.etaSeconds ?? null) : null,
    params: paramsSummary(project.db, raw.kind, params),
    error: raw.error,
    message,
    cancellable: live !== undefined,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

/** A mine of this SAE that another live process (a CLI run) holds, if any. */
function mineRunningElsewhere(db: Db, saeId: number): RawJob | undefined {
  return runningMineJobsOfSae(db, saeId).find((row) => row.owner_pid !== process.pid && processAlive(row.owner_pid));
}

const idle = (jobId: number, kind: string, message: string): JobProgressEvent => ({
  jobId,
  kind,
  state: 'running',
  done: 0,
  total: null,
  ratePerSecond: null,
  etaSeconds: null,
  message,
});

type MineSettings = Pick<
  MineOptions,
  'top' | 'provider' | 'scheme' | 'batch' | 'topK' | 'threads' | 'checkpointMs' | 'shard' | 'out'
>;

/**
 * Starts `mine()` in the background and resolves with its job id once the job row exists. Refusals
 * that come before (an unknown SAE, a changed weights file, a d_in mismatch) are this call's error.
 */
async function startMine(
  input: Parameters<HandlersFor<typeof jobMethods>['mine.start']>[0],
  context: ApiContext,
): Promise<{ jobId: number }> {
  const sae = findSaeById(context.project.db, input.saeId);
  if (!sae) throw new AppError('not_found', `saeId ${input.saeId}: no such SAE in this project`);
  const corpus = findCorpusById(context.project.db, input.corpusId);
  if (!corpus) throw new AppError('not_found', `corpusId ${input.corpusId}: no such corpus in this project`);
  const { jobId } = launchMine(
    sae,
    corpus,
    { top: input.top, provider: input.provider, scheme: input.scheme },
    context,
  );
  return { jobId: await jobId };
}

/**
 * mine.run: the same job as mine.start, by names, answering with the summary when it ends. The
 * CLI's `sightline mine` is this call; its Ctrl-C is jobs.cancel.
 */
async function runMine(
  input: Parameters<HandlersFor<typeof jobMethods>['mine.run']>[0],
  context: ApiContext,
): Promise<MineSummary> {
  // The store's lookups by name refuse an unknown one listing the known names.
  const sae = getSaeByName(context.project, input.sae);
  const corpus = getCorpus(context.project, input.corpus);
  const settings: MineSettings = {
    top: input.top,
    provider: input.provider,
    scheme: input.scheme,
    batch: input.batch,
    topK: input.k,
    threads: input.threads,
    checkpointMs: input.checkpointMs,
    shard: input.shard,
    out: input.out,
  };
  const { jobId, finished } = launchMine(sae, corpus, settings, context);
  await jobId;
  return finished;
}

/** Runs `mine()` on its own connection as a registered job; `jobId` settles once the job row exists (or with a refusal before it). */
function launchMine(
  sae: { id: number; name: string },
  corpus: { id: number; name: string },
  settings: MineSettings,
  context: ApiContext,
): { jobId: Promise<number>; finished: Promise<MineSummary> } {
  const { project, events } = context;
  const elsewhere = mineRunningElsewhere(project.db, sae.id);
  if (elsewhere)
    throw new AppError(
      'conflict',
      `SAE "${sae.name}" is being mined by another process (job ${elsewhere.id}, pid ${elsewhere.owner_pid}); wait for it or stop it there`,
    );
  const key = `mine:sae:${sae.id}`;
  const release = jobRegistry.reserve(
    project.dir,
    key,
    `SAE "${sae.name}" is already being mined; wait for that job or cancel it`,
  );

  // Mining gets its own connection: it attaches its staging file there for the final swap
  // (write-results.ts), so the API's shared connection never sees that schema or its transaction.
  let worker: Project;
  try {
    worker = openProject(project.dir);
  } catch (error) {
    release();
    throw error;
  }
  let jobId: number | null = null;
  let kind = 'mine';
  let last: JobProgressEvent | null = null;
  let unregister = () => {};
  let announceStart: (id: number) => void = () => {};
  const started = new Promise<number>((resolve) => (announceStart = resolve));
  const runner: TrackedJobRunner = new TrackedJobRunner((id, jobKind) => {
    jobId = id;
    kind = jobKind;
    unregister = jobRegistry.add({ projectDir: project.dir, jobId: id, kind: jobKind, runner });
    jobRegistry.describe(
      project.dir,
      key,
      `SAE "${sae.name}" is already being mined (job ${id}); wait for it or cancel it`,
    );
    events.emit('job.progress', idle(id, jobKind, `starting: SAE ${sae.name} × corpus ${corpus.name}`));
    announceStart(id);
  });

  const defined = Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined),
  ) as MineSettings;
  const finished = mine(worker, {
    sae: sae.name,
    corpus: corpus.name,
    ...defined,
    runner,
    // Terminal events are sent below, after the registry and the connection are cleaned up.
    listener: (event) => {
      if (event.state !== 'running') return;
      last = event;
      jobRegistry.progress(project.dir, event);
      events.emit('job.progress', event);
    },
    info: (line) => {
      const match = /^mine: encoding on (\S+) \((.*)\)$/.exec(line);
      if (!match || jobId === null) return;
      const message = `encoding on ${match[1]} (${match[2]})`;
      jobRegistry.annotate(project.dir, jobId, { message, engine: { provider: match[1], reason: match[2] } });
      events.emit('job.progress', { ...(last ?? idle(jobId, kind, message)), message });
    },
  });

  const cleanUp = () => {
    const engine = jobId === null ? null : (jobRegistry.get(project.dir, jobId)?.engine ?? null);
    unregister();
    release();
    try {
      worker.close();
    } catch {
      // Already closed; nothing else holds this connection.
    }
    return engine;
  };
  finished.then(
    (summary: MineSummary) => {
      const engine = cleanUp();
      if (jobId === null) return;
      const done = summary.state === 'done';
      const message = done
        ? `${summary.alive.toLocaleString('en-US')}/${summary.features.toLocaleString('en-US')} features alive, ${summary.examples.toLocaleString('en-US')} examples, ${summary.seconds.toFixed(1)} s on ${summary.provider}`
        : 'cancelled; the project is unchanged';
      jobRegistry.remember(project.dir, jobId, { message, engine });
      const rate = done && summary.phases.passSeconds > 0 ? summary.tokens / summary.phases.passSeconds : null;
      events.emit('job.progress', {
        jobId,
        kind,
        state: summary.state,
        done: done ? summary.tokens : (last?.done ?? 0),
        total: done ? summary.tokens : (last?.total ?? null),
        ratePerSecond: rate,
        etaSeconds: done ? 0 : null,
        message,
      });
    },
    (error: unknown) => {
      const engine = cleanUp();
      if (jobId === null) return; // refused before it started: mine.start itself reports the error
      const message = error instanceof Error ? error.message : String(error);
      jobRegistry.remember(project.dir, jobId, { message, engine });
      events.emit('job.progress', {
        jobId,
        kind,
        state: 'failed',
        done: last?.done ?? 0,
        total: last?.total ?? null,
        ratePerSecond: null,
        etaSeconds: null,
        message,
      });
    },
  );
  // Only a refusal before the job row exists fails this call; later failures arrive as events.
  const refusal = finished.then(
    () => null,
    (error: unknown) => {
      if (jobId === null) throw error;
      return null;
    },
  );
  const jobIdSettled = Promise.race([started, refusal]).then((id) => {
    if (id === null) throw new AppError('internal', 'mine finished without creating a job');
    return id;
  });
  return { jobId: jobIdSettled, finished };
}

/**
 * mine.merge: on its own connection, as mining does (the write phase attaches its staging file to
 * it, and the API's shared connection never sees that schema or its transaction).
 */
async function mergeMine(
  input: Parameters<HandlersFor<typeof jobMethods>['mine.merge']>[0],
  { project, events }: ApiContext,
): Promise<MineMergeSummary> {
  const worker = openProject(project.dir);
  try {
    return await mergeMineShards(worker, input.shards, {
      ...(input.provider ? { provider: input.provider } : {}),
      ...(input.threads ? { threads: input.threads } : {}),
      listener: (event) => events.emit('job.progress', event),
    });
  } finally {
    worker.close();
  }
}

export const jobHandlers: HandlersFor<typeof jobMethods> = {
  'jobs.list': (input, { project }) => listRecentJobs(project.db, input.limit).map((raw) => toSummary(project, raw)),
  'jobs.cancel': (input, { project }) => {
    const job = getJob(project.db, input.jobId);
    // The registry first: a sweep shard (sweeps.run with a shard) keeps its job row in the shard's
    // own folder, not in this project's database, yet runs here and must stop on Ctrl-C.
    if (jobRegistry.cancel(project.dir, input.jobId))
      return { jobId: input.jobId, requested: true, state: job?.state ?? 'running' };
    if (!job) throw new AppError('not_found', `job ${input.jobId}: no such job`);
    if (job.state === 'running' && processAlive(job.ownerPid) && job.ownerPid !== process.pid) {
      throw new AppError(
        'conflict',
        `job ${job.id} runs in another process (pid ${job.ownerPid}); stop it there (Ctrl-C)`,
      );
    }
    // Already finished (or interrupted by a crash): nothing runs to cancel.
    return { jobId: job.id, requested: false, state: job.state };
  },
  'mine.start': startMine,
  'mine.merge': mergeMine,
  'mine.run': runMine,
};
