// A contract call that runs one job on its own connection, to its end (capture.run, probes.run) or in
// the background (sweeps.start, capture.start): the job is registered so jobs.list shows its rate and
// ETA and jobs.cancel reaches it, and its progress goes out as 'job.progress' events.
import type { JobProgressEvent } from '../contract/types';
import { jobRegistry, TrackedJobRunner } from '../jobs/registry';
import type { ProgressListener } from '../jobs/runner';
import { openProject, type Project } from '../project/project';
import type { ApiContext } from './context';

type JobWork<T> = (worker: Project, runner: TrackedJobRunner, listener: ProgressListener) => Promise<T>;

/** A job's runner and listener on a connection of its own, registered in jobRegistry when its row exists. */
function trackedJob({ project, events }: ApiContext, onStart: (jobId: number) => void = () => {}) {
  // Its own connection, so the API's shared one stays free while the job writes.
  const worker = openProject(project.dir, { clock: project.clock });
  let unregister = () => {};
  const runner: TrackedJobRunner = new TrackedJobRunner((id, kind) => {
    unregister = jobRegistry.add({ projectDir: project.dir, jobId: id, kind, runner });
    onStart(id);
  });
  const listener = (event: JobProgressEvent) => {
    jobRegistry.progress(project.dir, event);
    events.emit('job.progress', event);
  };
  const end = () => {
    unregister();
    worker.close();
  };
  return { worker, runner, listener, end };
}

export async function runTrackedJob<T>(context: ApiContext, work: JobWork<T>): Promise<T> {
  const { worker, runner, listener, end } = trackedJob(context);
  try {
    return await work(worker, runner, listener);
  } finally {
    end();
  }
}

/**
 * The job started in the background: answers with its id once its row exists. A refusal before that
 * (an unknown model, a bad file) is this call's error; later ones end the job as failed.
 */
export async function startTrackedJob(context: ApiContext, work: JobWork<unknown>): Promise<{ jobId: number }> {
  let jobId: number | null = null;
  let announce: (id: number) => void = () => {};
  const started = new Promise<number>((resolve) => (announce = resolve));
  const { worker, runner, listener, end } = trackedJob(context, (id) => {
    jobId = id;
    announce(id);
  });
  const finished = work(worker, runner, listener);
  // The runner sends the terminal 'job.progress' event (done, cancelled or failed) itself.
  finished.then(end, end);
  const refusal = finished.then(
    () => null,
    (error: unknown) => {
      if (jobId === null) throw error;
      return null;
    },
  );
  return { jobId: (await Promise.race([started, refusal])) ?? jobId! };
}
