// capture.run: runCapture on its own connection as a registered job (jobs.list shows its rate and ETA,
// jobs.cancel stops it after its batch), answering with the summary when it ends. `sightline capture`
// is this call.
import path from 'node:path';
import type { captureMethods } from '../contract/capture';
import type { JobProgressEvent } from '../contract/types';
import { jobRegistry, TrackedJobRunner } from '../jobs/registry';
import { openProject } from '../project/project';
import { runCapture } from '../steer/capture';
import type { HandlersFor } from './handlers';

export const captureHandlers: HandlersFor<typeof captureMethods> = {
  'capture.run': async (input, { project, events }) => {
    const worker = openProject(project.dir, { clock: project.clock });
    let unregister = () => {};
    const runner: TrackedJobRunner = new TrackedJobRunner((id, kind) => {
      unregister = jobRegistry.add({ projectDir: project.dir, jobId: id, kind, runner });
    });
    try {
      return await runCapture(worker, {
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
        listener: (event: JobProgressEvent) => {
          jobRegistry.progress(project.dir, event);
          events.emit('job.progress', event);
        },
      });
    } finally {
      unregister();
      worker.close();
    }
  },
};
