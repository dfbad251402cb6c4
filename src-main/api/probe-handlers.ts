import type { probeMethods } from '../contract/probes';
import { runProbe } from '../steer/probe';
import type { HandlersFor } from './handlers';

export const probeHandlers: HandlersFor<typeof probeMethods> = {
  'probes.run': (input, { project }) =>
    runProbe(project, {
      corpora: input.corpora,
      ...(input.labels !== undefined ? { labelsFile: input.labels } : {}),
      labelsFromFolders: input.labelsFromFolders,
      ...(input.classes !== undefined ? { classes: input.classes } : {}),
      validation: input.validation,
      seed: input.seed,
      l2: input.l2,
      ...(input.name !== undefined ? { name: input.name } : {}),
    }),
};
