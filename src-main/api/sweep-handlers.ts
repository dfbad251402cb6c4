// sweeps.start: runSweep in this process in the background, registered so jobs.list shows its rate
// and ETA and jobs.cancel reaches it; resolves with the job id once the job row exists. sweeps.run:
// the same sweep to its end (`sightline sweep`); sweeps.merge: shards into this project.
import path from 'node:path';
import type { sweepMethods } from '../contract/sweeps';
import type { JobProgressEvent } from '../contract/types';
import { jobRegistry, TrackedJobRunner } from '../jobs/registry';
import { openProject } from '../project/project';
import { mergeShards } from '../steer/merge';
import { runSweep } from '../steer/sweep';
import type { HandlersFor } from './handlers';
import { runTrackedJob } from './tracked-job';

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
    const { images, ...settings } = input;
    const finished = runSweep(worker, {
      ...settings,
      ...(images !== undefined ? { images: path.resolve(images) } : {}),
      shard: null,
      runner,
      listener: forward,
    });
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
  'sweeps.run': (input, context) => {
    const { promptsFile, prompts, images, shard, out, ...settings } = input;
    return runTrackedJob(context, (worker, runner, listener) =>
      runSweep(worker, {
        ...settings,
        ...(promptsFile !== undefined ? { promptsFile: path.resolve(promptsFile) } : {}),
        ...(prompts !== undefined ? { prompts } : {}),
        ...(images !== undefined ? { images: path.resolve(images) } : {}),
        shard: shard ?? null,
        ...(out !== undefined ? { out: path.resolve(out) } : {}),
        runner,
        listener,
        info: (message) => context.events.emit('sweep.info', { message }),
      }),
    );
  },
  'sweeps.merge': (input, { project }) => mergeShards(project, input.shards),
};
