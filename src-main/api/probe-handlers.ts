// probes.list and probes.get: the stored probe runs (probes.run, in capture-handlers.ts, stores them).
import type { probeMethods } from '../contract/probes';
import { getProbeRun, listProbeRuns } from '../store/probe-runs';
import { AppError } from '../util/errors';
import type { HandlersFor } from './handlers';

type StoredRunMethods = Pick<typeof probeMethods, 'probes.list' | 'probes.get'>;

export const probeRunHandlers: HandlersFor<StoredRunMethods> = {
  'probes.list': (_input, { project }) => listProbeRuns(project.db),
  'probes.get': ({ runId }, { project }) => {
    const run = getProbeRun(project.db, runId);
    if (!run)
      throw new AppError('not_found', `no probe run ${runId} in this project; \`sightline probe list\` shows them`);
    return run;
  },
};
