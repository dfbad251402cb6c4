// probes.run (`sightline probe`, to its end), probes.start (the Probes page's form, in the
// background), and the stored runs: probes.list and probes.get.
import path from 'node:path';
import type { MethodParsedInput } from '../contract';
import type { probeMethods } from '../contract/probes';
import type { ProgressListener } from '../jobs/runner';
import type { TrackedJobRunner } from '../jobs/registry';
import { runProbe, type ProbeOptions } from '../steer/probe';
import { getProbeRun, listProbeRuns } from '../store/probe-runs';
import { AppError } from '../util/errors';
import type { HandlersFor } from './handlers';
import { runTrackedJob, startTrackedJob } from './tracked-job';

function probeOptions(
  input: MethodParsedInput<'probes.run'>,
  runner: TrackedJobRunner,
  listener: ProgressListener,
): ProbeOptions {
  return {
    corpora: input.corpora,
    ...(input.labels !== undefined ? { labelsFile: path.resolve(input.labels) } : {}),
    labelsFromFolders: input.labelsFromFolders,
    ...(input.classes !== undefined ? { classes: input.classes } : {}),
    validation: input.validation,
    seed: input.seed,
    l2: input.l2,
    ...(input.name !== undefined ? { name: input.name } : {}),
    runner,
    listener,
  };
}

export const probeHandlers: HandlersFor<typeof probeMethods> = {
  'probes.run': (input, context) =>
    runTrackedJob(context, (worker, runner, listener) => runProbe(worker, probeOptions(input, runner, listener))),
  'probes.start': (input, context) =>
    startTrackedJob(context, (worker, runner, listener) => runProbe(worker, probeOptions(input, runner, listener))),
  'probes.list': (_input, { project }) => listProbeRuns(project.db),
  'probes.get': ({ runId }, { project }) => {
    const run = getProbeRun(project.db, runId);
    if (!run)
      throw new AppError('not_found', `no probe run ${runId} in this project; \`sightline probe list\` shows them`);
    return run;
  },
};
