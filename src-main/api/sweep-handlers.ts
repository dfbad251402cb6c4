// sweeps.start: runSweep in this process in the background, registered so jobs.list shows its rate
// and ETA and jobs.cancel reaches it; resolves with the job id once the job row exists. sweeps.run:
// the same sweep to its end (`sightline sweep`); sweeps.merge: shards into this project.
import path from 'node:path';
import type { sweepMethods } from '../contract/sweeps';
import { mergeShards } from '../steer/merge';
import { runSweep } from '../steer/sweep';
import type { HandlersFor } from './handlers';
import { runTrackedJob, startTrackedJob } from './tracked-job';

export const sweepHandlers: HandlersFor<typeof sweepMethods> = {
  'sweeps.start': (input, context) => {
    const { images, ...settings } = input;
    return startTrackedJob(context, (worker, runner, listener) =>
      runSweep(worker, {
        ...settings,
        ...(images !== undefined ? { images: path.resolve(images) } : {}),
        shard: null,
        runner,
        listener,
      }),
    );
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
