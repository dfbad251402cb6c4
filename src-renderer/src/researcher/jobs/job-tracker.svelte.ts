// The jobs panel's state: jobs.list once, then every 'job.progress' event merged in (no polling).
// A finished job calls `onFinished` so pages can reload what the job changed.
import type { JobProgressEvent, JobSummary } from '../../../../src-main/contract';
import { call, errorText, onEvent } from '../../lib/client';
import { applyProgress, isActive } from './job-logic';

export class JobTracker {
  jobs = $state.raw<JobSummary[]>([]);
  error = $state<string | null>(null);
  /** Job ids a cancel was asked for and not yet answered by a final event. */
  cancelling = $state.raw<ReadonlySet<number>>(new Set());

  constructor(private readonly onFinished: (event: JobProgressEvent) => void = () => {}) {}

  readonly active = $derived(this.jobs.filter(isActive));

  /** Loads the list and follows events; returns the stop function (for onMount). */
  start(): () => void {
    const stop = onEvent('job.progress', (event) => {
      this.jobs = applyProgress(this.jobs, event);
      if (!isActive(event)) {
        this.setCancelling(event.jobId, false);
        this.onFinished(event);
        // The final row (params, error text) is authoritative on the server.
        void this.reload();
      }
    });
    void this.reload();
    return stop;
  }

  async reload(): Promise<void> {
    try {
      this.jobs = await call('jobs.list', { limit: 20 });
      this.error = null;
    } catch (caught) {
      this.error = errorText(caught);
    }
  }

  async cancel(jobId: number): Promise<void> {
    this.setCancelling(jobId, true);
    try {
      const answer = await call('jobs.cancel', { jobId });
      if (!answer.requested) this.setCancelling(jobId, false);
    } catch (caught) {
      this.setCancelling(jobId, false);
      this.error = errorText(caught);
    }
  }

  private setCancelling(jobId: number, on: boolean): void {
    const next = new Set(this.cancelling);
    if (on) next.add(jobId);
    else next.delete(jobId);
    this.cancelling = next;
  }
}
