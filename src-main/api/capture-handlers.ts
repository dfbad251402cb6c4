// capture.run: one job to its end (tracked-job.ts). `sightline capture` is this call.
import path from 'node:path';
import type { captureMethods } from '../contract/capture';
import { runCapture } from '../steer/capture';
import type { HandlersFor } from './handlers';
import { runTrackedJob } from './tracked-job';

export const captureHandlers: HandlersFor<typeof captureMethods> = {
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
};
