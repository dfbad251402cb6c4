// capture.run and probes.run: each one job to its end (tracked-job.ts); `sightline capture` and
// `sightline probe` are these calls. capture.start: the same capture in the background, for the app.
import path from 'node:path';
import type { MethodInput } from '../contract';
import type { captureMethods } from '../contract/capture';
import type { probeMethods } from '../contract/probes';
import { type CaptureOptions, runCapture } from '../steer/capture';
import { runProbe } from '../steer/probe';
import type { HandlersFor } from './handlers';
import { runTrackedJob, startTrackedJob } from './tracked-job';

/** The capture a contract call asks for (capture.run and capture.start), its paths resolved here. */
function captureOptionsOf(input: MethodInput<'capture.start'>): CaptureOptions {
  return {
    model: input.model,
    layers: input.layers,
    ...(input.captions !== undefined ? { captionsFile: path.resolve(input.captions) } : {}),
    ...(input.images !== undefined ? { images: path.resolve(input.images) } : {}),
    ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
    ...(input.chat !== undefined ? { chat: input.chat } : {}),
    ...(input.corpus !== undefined ? { corpus: input.corpus } : {}),
    dtype: input.dtype,
    batch: input.batch,
    chunk: input.chunk,
    provider: input.provider,
    ...(input.threads !== undefined ? { intraOpNumThreads: input.threads } : {}),
  };
}

export const captureHandlers: HandlersFor<typeof captureMethods & typeof probeMethods> = {
  'capture.start': (input, context) =>
    startTrackedJob(context, (worker, runner, listener) =>
      runCapture(worker, { ...captureOptionsOf(input), runner, listener }),
    ),
  'capture.run': (input, context) =>
    runTrackedJob(context, (worker, runner, listener) =>
      runCapture(worker, {
        ...captureOptionsOf(input),
        ...(input.shard !== undefined ? { shard: input.shard } : {}),
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
