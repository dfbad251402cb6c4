// sweeps.start: runSweep in this process in the background, registered so jobs.list shows its rate
// and ETA and jobs.cancel reaches it; resolves with the job id once the job row exists.
import type { sweepMethods } from '../contract/sweeps';
import type { JobProgressEvent } from '../contract/types';
import { jobRegistry, TrackedJobRunner } from '../jobs/registry';
import { openProject } from '../project/project';
import { runSweep } from '../steer/sweep';
import type { HandlersFor } from './handlers';

export const sweepHandlers: HandlersFor<typeof sweepMethods> = {
  'sweeps.start': async (input, { project, events }) => {
    // Its own connection, so the API's shared one is free while the sweep writes its batches.
    const worker = openProject(project.dir, { clock: project.clock });
    let jobId: number | null = null;
    let unregister = () => {};
    let announce: (id: number) => void = () => {};
    const started = new Promise<number>((resolve) => (announce = resolve));
    const runner: TrackedJobRunner = new TrackedJobRunner((id, kind) => {
      jobId = id;
      unregister = jobRegistry.add({ projectDir: project.dir, jobId: id, kind, runner });
      announce(id);
    });
    const forward = (event: JobProgressEvent) => {
      jobRegistry.progress(project.dir, event);
      events.emit('job.progress', event);
    };
    const finished = runSweep(worker, { ...input, shard: null, runner, listener: forward });
    const cleanUp = () => {
      unregister();
      worker.close();
    };
    // The runner sends the terminal 'job.progress' event (done, cancelled or failed) itself.
    finished.then(cleanUp, cleanUp);
    // A refusal before the job row exists (unknown model or vector, d_model) is this call's error.
    const refusal = finished.then(
      () => null,
      (error: unknown) => {
        if (jobId === null) throw error;
        return null;
      },
    );
    const id = (await Promise.race([started, refusal])) ?? jobId!;
    return { jobId: id };
  },
};
