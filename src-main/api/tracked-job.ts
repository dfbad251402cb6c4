// A contract call that runs one job to its end on its own connection (capture.run, probes.run): the
// job is registered so jobs.list shows its rate and ETA and jobs.cancel reaches it, and its progress
// goes out as 'job.progress' events.
import type { JobProgressEvent } from '../contract/types';
import { jobRegistry, TrackedJobRunner } from '../jobs/registry';
import type { ProgressListener } from '../jobs/runner';
import { openProject, type Project } from '../project/project';
import type { ApiContext } from './context';

export async function runTrackedJob<T>(
  { project, events }: ApiContext,
  work: (worker: Project, runner: TrackedJobRunner, listener: ProgressListener) => Promise<T>,
  /** told the job's id as soon as its row exists */
  onStarted: (jobId: number) => void = () => {},
): Promise<T> {
  // Its own connection, so the API's shared one stays free while the job writes.
  const worker = openProject(project.dir, { clock: project.clock });
  let unregister = () => {};
  const runner: TrackedJobRunner = new TrackedJobRunner((id, kind) => {
    unregister = jobRegistry.add({ projectDir: project.dir, jobId: id, kind, runner });
    onStarted(id);
  });
  const listener = (event: JobProgressEvent) => {
    jobRegistry.progress(project.dir, event);
    events.emit('job.progress', event);
  };
  try {
    return await work(worker, runner, listener);
  } finally {
    unregister();
    worker.close();
  }
}

/**
 * The same job started in the background (probes.start): resolves with the job id once the job row
 * exists, while the work goes on; a refusal before that (an unknown corpus, a bad labels file) is
 * this call's error. The runner sends the terminal 'job.progress' event (done, cancelled or failed).
 */
export async function startTrackedJob(
  context: ApiContext,
  work: (worker: Project, runner: TrackedJobRunner, listener: ProgressListener) => Promise<unknown>,
): Promise<{ jobId: number }> {
  // Set by the callback below; typed wide so the closure's write is not narrowed away.
  let jobId = null as number | null;
  let announce: (id: number) => void = () => {};
  const started = new Promise<number>((resolve) => (announce = resolve));
  const finished = runTrackedJob(context, work, (id) => {
    jobId = id;
    announce(id);
  });
  const refusal = finished.then(
    () => null,
    (error: unknown) => {
      if (jobId === null) throw error;
      return null;
    },
  );
  return { jobId: (await Promise.race([started, refusal])) ?? jobId! };
}
