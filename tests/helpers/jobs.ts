// Waiting for a job the API started: its last 'job.progress' event (done, failed or cancelled), never
// a guessed number of milliseconds (issue 12).
import type { ApiContext } from '../../src-main/api/context';
import type { JobProgressEvent } from '../../src-main/contract';

/** Resolves with the job's final event; `seen` holds the events already collected, in case it came before the call. */
export function jobEnded(
  context: Pick<ApiContext, 'events'>,
  jobId: number,
  seen: readonly JobProgressEvent[] = [],
): Promise<JobProgressEvent> {
  const already = seen.find((event) => event.jobId === jobId && event.state !== 'running');
  if (already) return Promise.resolve(already);
  return new Promise((resolve) => {
    const stop = context.events.subscribe((name, payload) => {
      const event = payload as JobProgressEvent;
      if (name === 'job.progress' && event.jobId === jobId && event.state !== 'running') {
        stop();
        resolve(event);
      }
    });
  });
}
