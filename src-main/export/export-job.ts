// Exports as jobs (kind 'export'): a jobs row with progress (done/total, rate, ETA), 'job.progress'
// events while it runs, and cancel. An export is not resumed after a crash: it writes to a temp
// name and renames at the end, so starting again is both simpler and as fast.
import type { JobProgressEvent } from '../contract/types';
import { jobRegistry } from '../jobs/registry';
import { JobRunner, type JobOutcome } from '../jobs/runner';
import type { Db } from '../store/db';
import { AppError } from '../util/errors';
import { exportCampaign, type ExportFormat, type ExportResult } from './index';
import { estimateLiveJudgements } from '../store/export-rows';

export interface ExportJobInput {
  campaignId: number;
  format: ExportFormat;
  out: string;
  revealRaters?: boolean;
  fullShown?: boolean;
}

export interface StartedExportJob {
  jobId: number;
  /** Settles when the export is done or cancelled; rejects when it failed (the job row says 'failed'). */
  outcome: Promise<JobOutcome<ExportResult>>;
  cancel(): void;
}

/**
 * Starts an export job and returns as soon as its row exists; the export itself starts on the
 * next turn of the event loop. `onEvent` receives every 'job.progress' event (throttled to about
 * one a second, plus the first and the last).
 */
export async function startExportJob(
  project: { db: Db; dir: string },
  input: ExportJobInput,
  onEvent?: (event: JobProgressEvent) => void,
  options: { progressIntervalMs?: number } = {},
): Promise<StartedExportJob> {
  const runner = new JobRunner();
  let jobId = 0;
  let unregister = () => {};
  const { db } = project;
  const outcome = runner.run<null, ExportResult>(
    {
      db,
      dir: project.dir,
      kind: 'export',
      params: {
        campaignId: input.campaignId,
        format: input.format,
        out: input.out,
        revealRaters: input.revealRaters ?? false,
        fullShown: input.fullShown ?? false,
      },
      listener: (event) => {
        jobRegistry.progress(project.dir, event);
        onEvent?.(event);
      },
      resume: false,
      progressIntervalMs: options.progressIntervalMs,
    },
    async (job) => {
      // Runs synchronously up to the first await, so jobId is known when run() returns.
      jobId = job.id;
      // Registered with the process's job registry, so jobs.cancel and jobs.list reach it.
      unregister = jobRegistry.add({
        projectDir: project.dir,
        jobId: job.id,
        kind: 'export',
        runner,
        message: `${input.format} export of campaign ${input.campaignId}`,
      });
      job.progress(0, estimateLiveJudgements(db, input.campaignId));
      await new Promise<void>((resolve) => setImmediate(resolve));
      job.throwIfCancelled();
      let last = { done: 0, total: 0 };
      const result = await exportCampaign(db, input.campaignId, {
        format: input.format,
        out: input.out,
        revealRaters: input.revealRaters,
        fullShown: input.fullShown,
        isCancelled: () => job.cancelled,
        progressIntervalMs: options.progressIntervalMs,
        onProgress: (progress) => {
          last = progress;
          job.progress(progress.done, progress.total);
        },
      });
      // The total was an estimate (submitted assignments); the final event says what was written.
      job.progress(last.done, last.done);
      return result;
    },
  );
  const forget = () => unregister();
  outcome.then(forget, forget);
  if (jobId === 0) {
    // run() failed before the job started (e.g. the jobs table could not be written).
    await outcome;
    throw new AppError('internal', 'export job did not start');
  }
  return { jobId, outcome, cancel: () => runner.cancel() };
}
