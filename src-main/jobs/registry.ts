// The one in-process registry of running jobs: (project, jobId) → the runner that can cancel it.
// Every job the API starts (mine.start; exports when they run as jobs) registers here, and
// jobs.cancel reaches a job only through it. A job running in another process (a CLI `sightline
// mine`) is not here: that process owns it and stops on Ctrl-C.
import type { JobProgressEvent } from '../contract/types';
import { AppError } from '../util/errors';
import { JobRunner, type JobContext, type JobOutcome, type RunJobOptions } from './runner';

export interface Cancellable {
  cancel(): void;
}

export interface RunningJob {
  projectDir: string;
  jobId: number;
  kind: string;
  runner: Cancellable;
  /** the last progress event, for jobs.list (rate and ETA of a live run) */
  last: JobProgressEvent | null;
  /** a line worth showing next to the job (e.g. the execution provider and why) */
  message: string | null;
  /** the execution provider an engine job runs on, and why */
  engine: EngineReport | null;
  cancelRequested: boolean;
}

export interface EngineReport {
  provider: string;
  reason: string;
}

/** What a finished job left worth showing, kept for the most recent jobs of this process. */
export interface FinishedNote {
  message: string | null;
  engine: EngineReport | null;
}

const RECENT_NOTES = 200;

export class JobRegistry {
  private readonly running = new Map<string, RunningJob>();
  private readonly reserved = new Map<string, string>();
  private readonly notes = new Map<string, FinishedNote>();

  private static id(projectDir: string, jobId: number): string {
    return `${projectDir}#${jobId}`;
  }

  /**
   * Claims `key` (e.g. "mine:sae:3") for one job at a time in this project; throws 'conflict' naming
   * `holder` when it is taken. Returns the release function. Claim before starting work, so two
   * requests that arrive together cannot both start.
   */
  reserve(projectDir: string, key: string, holder: string): () => void {
    const full = `${projectDir}#${key}`;
    const current = this.reserved.get(full);
    if (current !== undefined) throw new AppError('conflict', current);
    this.reserved.set(full, holder);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved.delete(full);
    };
  }

  /** Updates the conflict message of a reserved key (e.g. once the job id is known). */
  describe(projectDir: string, key: string, holder: string): void {
    const full = `${projectDir}#${key}`;
    if (this.reserved.has(full)) this.reserved.set(full, holder);
  }

  /** Registers a running job; returns the function that removes it (keeping its message as a note). */
  add(
    job: Omit<RunningJob, 'last' | 'message' | 'engine' | 'cancelRequested'> & { message?: string | null },
  ): () => void {
    const id = JobRegistry.id(job.projectDir, job.jobId);
    const entry: RunningJob = {
      ...job,
      last: null,
      message: job.message ?? null,
      engine: null,
      cancelRequested: false,
    };
    this.running.set(id, entry);
    return () => {
      if (this.running.get(id) !== entry) return;
      this.running.delete(id);
      this.notes.set(id, { message: entry.message, engine: entry.engine });
      while (this.notes.size > RECENT_NOTES) this.notes.delete(this.notes.keys().next().value!);
    };
  }

  get(projectDir: string, jobId: number): RunningJob | undefined {
    return this.running.get(JobRegistry.id(projectDir, jobId));
  }

  list(projectDir: string): RunningJob[] {
    return [...this.running.values()].filter((job) => job.projectDir === projectDir);
  }

  /** The note a finished job of this process left (its message), if any. */
  note(projectDir: string, jobId: number): FinishedNote | undefined {
    return this.notes.get(JobRegistry.id(projectDir, jobId));
  }

  progress(projectDir: string, event: JobProgressEvent): void {
    const job = this.get(projectDir, event.jobId);
    if (job) job.last = event;
  }

  /** Sets the line shown with a running job (and, for engine jobs, the provider report). */
  annotate(projectDir: string, jobId: number, note: { message?: string; engine?: EngineReport }): void {
    const job = this.get(projectDir, jobId);
    if (!job) return;
    if (note.message !== undefined) job.message = note.message;
    if (note.engine !== undefined) job.engine = note.engine;
  }

  /** Sets the note of a job that has already left the registry (e.g. its final summary line). */
  remember(projectDir: string, jobId: number, note: FinishedNote): void {
    this.notes.set(JobRegistry.id(projectDir, jobId), note);
  }

  /** Asks the job to stop; false when no job with this id runs in this process. */
  cancel(projectDir: string, jobId: number): boolean {
    const job = this.get(projectDir, jobId);
    if (!job) return false;
    job.cancelRequested = true;
    job.runner.cancel();
    return true;
  }
}

/** The process's registry: the shell, `sightline serve` and tests all share this one. */
export const jobRegistry = new JobRegistry();

/**
 * A JobRunner that says when its job row exists, so a caller can hand out the job id (and register
 * the job) while the work is still running. `run` inserts or claims the row before it calls the
 * work, so `onStart` fires before any batch.
 */
export class TrackedJobRunner extends JobRunner {
  constructor(private readonly onStart: (jobId: number, kind: string) => void) {
    super();
  }

  override run<S, T>(options: RunJobOptions, work: (job: JobContext<S>) => Promise<T>): Promise<JobOutcome<T>> {
    return super.run<S, T>(options, (job) => {
      this.onStart(job.id, job.kind);
      return work(job);
    });
  }
}
