// A job a form started (Run a probe, Capture activations): its 'job.progress' events, Cancel, and its
// end told once. One place for the guard against a short job that ends before `*.start` answers.
import type { JobProgressEvent } from '../../../../src-main/contract';
import { call, errorText, onEvent } from '../../lib/client';
import { catchUpProgress, isActive } from './job-logic';

export class StartedJob {
  jobId = $state<number | null>(null);
  progress = $state.raw<JobProgressEvent | null>(null);
  cancelling = $state(false);
  /** the refusal of the start call or of the cancel */
  error = $state<string | null>(null);

  readonly running = $derived(this.progress?.state === 'running' || this.progress?.state === 'queued');

  /** `onEnd` gets the job's last event (done, cancelled or failed), once. */
  constructor(private readonly onEnd: (event: JobProgressEvent) => void = () => {}) {}

  /** Follows the job's events; returns the stop function (for onMount). */
  follow(): () => void {
    return onEvent('job.progress', (event) => {
      if (event.jobId === this.jobId) this.show(event);
    });
  }

  /** Runs the start call; its answer's job id is then followed. Answers the call's value, or null when refused. */
  async start<T extends { jobId: number }>(startCall: () => Promise<T>): Promise<T | null> {
    this.error = null;
    this.progress = null;
    this.jobId = null;
    try {
      const started = await startCall();
      this.jobId = started.jobId;
      // A small job can end before its id comes back, its events unrecognised: read the job once.
      const listed = (await call('jobs.list', { limit: 20 })).find((job) => job.id === started.jobId);
      const caughtUp = this.jobId === started.jobId ? catchUpProgress(this.progress, listed) : null;
      if (caughtUp) this.show(caughtUp);
      return started;
    } catch (caught) {
      this.error = errorText(caught);
      return null;
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId === null) return;
    this.cancelling = true;
    try {
      await call('jobs.cancel', { jobId: this.jobId });
    } catch (caught) {
      this.cancelling = false;
      this.error = errorText(caught);
    }
  }

  private show(event: JobProgressEvent): void {
    // The job's end may come both from jobs.list and from its own event: it is acted on once.
    if (this.progress?.jobId === event.jobId && !isActive(this.progress)) return;
    this.progress = event;
    if (isActive(event)) return;
    this.cancelling = false;
    this.onEnd(event);
  }
}
