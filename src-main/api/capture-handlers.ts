// capture.run: one job to its end (tracked-job.ts); `sightline capture` is this call. capture.start:
// the same capture in the background, for the app.
import path from 'node:path';
import type { MethodInput } from '../contract';
import type { CaptureStarted, captureMethods } from '../contract/capture';
import { type CaptureOptions, runCapture } from '../steer/capture';
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

export const captureHandlers: HandlersFor<typeof captureMethods> = {
  'capture.start': async (input, context) => {
    // runCapture tells its plan before it creates the job row, so the plan is known once the id is.
    let plan: Omit<CaptureStarted, 'jobId'> = { captureId: '', corpora: [] };
    const { jobId } = await startTrackedJob(context, (worker, runner, listener) =>
      runCapture(worker, { ...captureOptionsOf(input), runner, listener, onPlan: (told) => (plan = told) }),
    );
    return { jobId, ...plan };
  },
  'capture.run': (input, context) =>
    runTrackedJob(context, (worker, runner, listener) =>
      runCapture(worker, {
        ...captureOptionsOf(input),
        ...(input.shard !== undefined ? { shard: input.shard } : {}),
        runner,
        listener,
      }),
    ),
};
