// Runs one long task as a job: progress (done/total, rate, ETA) persisted at most about once a
// second and sent to an optional listener (forwarded as 'job.progress' events), a cancel flag the
// work checks between batches, and checkpoints a crashed run resumes from.
import type { JobProgressEvent } from '../contract/types';
import type { Db } from '../store/db';
import { AppError } from '../util/errors';
import { readCheckpointFile, removeCheckpointFiles, writeCheckpointFile } from './checkpoint-files';
import {
  claimJob,
  findResumableJob,
  finishJob,
  getJob,
  insertJob,
  saveCheckpoint,
  updateProgress,
} from '../store/jobs';

export type ProgressListener = (event: JobProgressEvent) => void;

export interface JobCheckpoint<S> {
  /** small JSON state (e.g. which shard and row were reached) */
  state: S;
  /** the checkpoint's binary payload, when one was saved with it */
  blob?: Buffer;
}

export interface JobContext<S> {
  readonly id: number;
  readonly kind: string;
  /** set when this run resumed a crashed one */
  readonly resumed?: JobCheckpoint<S>;
  readonly cancelled: boolean;
  /** throws a 'cancelled' AppError when cancel() was called: call it between batches */
  throwIfCancelled(): void;
  /** report progress; persisted and emitted at most every `progressIntervalMs` (and always at the end) */
  progress(done: number, total: number | null, message?: string): void;
  /** save a consistent checkpoint: the blob file first, then the row that points at it */
  checkpoint(state: S, done: number, blob?: readonly ArrayBufferView[]): void;
}

export interface RunJobOptions {
  db: Db;
  /** project folder: binary checkpoints go under <dir>/jobs/ */
  dir: string;
  kind: string;
  params: unknown;
  listener?: ProgressListener;
  /** resume a crashed job with the same kind and params when there is one (default true) */
  resume?: boolean;
  progressIntervalMs?: number;
  now?: () => number;
}

export interface JobOutcome<T> {
  jobId: number;
  state: 'done' | 'cancelled';
  resumedFrom: number | null;
  result?: T;
}

export class JobRunner {
  private cancelRequested = false;

  /** Ask the running work to stop at its next batch boundary (e.g. on SIGINT). */
  cancel(): void {
    this.cancelRequested = true;
  }

  async run<S, T>(options: RunJobOptions, work: (job: JobContext<S>) => Promise<T>): Promise<JobOutcome<T>> {
    const { db, dir, kind, params } = options;
    const now = options.now ?? Date.now;
    const interval = options.progressIntervalMs ?? 1000;
    const previous = options.resume === false ? undefined : findResumableJob(db, kind, params);
    let id: number;
    let resumed: JobCheckpoint<S> | undefined;
    if (previous) {
      id = previous.id;
      claimJob(db, id, now());
      const saved = previous.checkpoint as { state: S; file?: string };
      resumed = { state: saved.state };
      if (saved.file) resumed.blob = readCheckpointFile(dir, saved.file);
    } else {
      id = insertJob(db, kind, params, now());
    }

    const startedAt = now();
    const startDone = previous?.progressDone ?? 0;
    let lastEmit = -Infinity;
    let last = { done: startDone, total: previous?.progressTotal ?? null };
    let seq = 0;
    const emit = (state: JobProgressEvent['state'], message?: string) => {
      const elapsed = (now() - startedAt) / 1000;
      const rate = elapsed > 0 ? (last.done - startDone) / elapsed : null;
      const eta = rate && last.total !== null ? Math.max(0, (last.total - last.done) / rate) : null;
      const event: JobProgressEvent = {
        jobId: id,
        kind,
        state,
        done: last.done,
        total: last.total,
        ratePerSecond: rate,
        etaSeconds: eta,
      };
      if (message !== undefined) event.message = message;
      options.listener?.(event);
    };
    const runner = this;
    const context: JobContext<S> = {
      id,
      kind,
      ...(resumed ? { resumed } : {}),
      get cancelled() {
        return runner.cancelRequested;
      },
      throwIfCancelled() {
        if (runner.cancelRequested) throw new AppError('cancelled', `${kind} job ${id} cancelled`);
      },
      progress(done, total, message) {
        last = { done, total };
        const t = now();
        if (t - lastEmit < interval) return;
        lastEmit = t;
        updateProgress(db, id, done, total, t);
        emit('running', message);
      },
      checkpoint(state, done, blob) {
        const file = blob ? writeCheckpointFile(dir, id, `${Date.now()}-${++seq}`, blob) : undefined;
        saveCheckpoint(db, id, file ? { state, file } : { state }, done, now());
        removeCheckpointFiles(dir, id, file);
      },
    };

    try {
      const result = await work(context);
      updateProgress(db, id, last.done, last.total, now());
      finishJob(db, id, 'done', null, now());
      emit('done');
      return { jobId: id, state: 'done', resumedFrom: previous ? startDone : null, result };
    } catch (error) {
      const cancelled = error instanceof AppError && error.code === 'cancelled';
      finishJob(db, id, cancelled ? 'cancelled' : 'failed', cancelled ? null : (error as Error).message, now());
      emit(cancelled ? 'cancelled' : 'failed', cancelled ? undefined : (error as Error).message);
      if (cancelled) return { jobId: id, state: 'cancelled', resumedFrom: previous ? startDone : null };
      throw error;
    } finally {
      removeCheckpointFiles(dir, id);
    }
  }
}

/** The job row, for callers that report on it. */
export { getJob };
