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
): Promise<T> {
  // Its own connection, so the API's shared one stays free while the job writes.
  const worker = openProject(project.dir, { clock: project.clock });
  let unregister = () => {};
  const runner: TrackedJobRunner = new TrackedJobRunner((id, kind) => {
    unregister = jobRegistry.add({ projectDir: project.dir, jobId: id, kind, runner });
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
