// capture.run and probes.run: each one job to its end (tracked-job.ts). `sightline capture` and
// `sightline probe` are these calls.
import path from 'node:path';
import type { captureMethods } from '../contract/capture';
import type { probeMethods } from '../contract/probes';
import { runCapture } from '../steer/capture';
import { runProbe } from '../steer/probe';
import type { HandlersFor } from './handlers';
import { runTrackedJob } from './tracked-job';

export const captureHandlers: HandlersFor<typeof captureMethods & Pick<typeof probeMethods, 'probes.run'>> = {
  'capture.run': (input, context) =>
    runTrackedJob(context, (worker, runner, listener) =>
      runCapture(worker, {
        model: input.model,
        layers: input.layers,
        ...(input.captions !== undefined ? { captionsFile: path.resolve(input.captions) } : {}),
        ...(input.images !== undefined ? { images: input.images } : {}),
        ...(input.corpus !== undefined ? { corpus: input.corpus } : {}),
        dtype: input.dtype,
        batch: input.batch,
        chunk: input.chunk,
        provider: input.provider,
        ...(input.threads !== undefined ? { intraOpNumThreads: input.threads } : {}),
        runner,
        listener,
      }),
    ),
  'probes.run': (input, context) =>
    runTrackedJob(context, (worker, runner, listener) =>
      runProbe(worker, {
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
      }),
    ),
};
