// The Steer page's calls: side-by-side generation in the long-lived engine (steps as 'steer.step'
// events), its cancel and status, and reading sweeps back.
import type { steerMethods, SweepListing } from '../contract/steer';
import { imagePreview } from '../steer/image-preview';
import { readPromptsFile } from '../steer/prompts-file';
import { cancelSideBySide, generateSideBySide, liveEngineStatus } from '../steer/live';
import { getJob } from '../store/jobs';
import { listSweeps, sweepGenerations } from '../store/sweeps';
import { parseJson } from '../store/db';
import type { HandlersFor } from './handlers';

interface StoredSweepSpec {
  sweep: {
    model: { name: string };
    /** absent for a clamp sweep, which names its SAE feature instead */
    vector?: { name: string };
    sae?: { name: string; feature: number };
    method: string;
    layer: number;
    positions: unknown;
    ks: number[];
    prompts: { count: number };
    /** `sweep --images` only */
    images?: { count: number };
    chat: boolean;
    decoding: { kind: 'greedy' | 'sample'; tokens: number; temperature?: number; topP?: number };
    seed: number;
  };
}

export const steerHandlers: HandlersFor<typeof steerMethods> = {
  'steer.generate': (input, { project, events }) =>
    generateSideBySide(project, input, (event) => events.emit('steer.step', event)),
  'steer.imagePreview': (input, { project }) => imagePreview(project, input),
  'steer.cancel': (input, { project }) => ({ requested: cancelSideBySide(project, input.stream) }),
  'steer.engine': (_input, { project }) => liveEngineStatus(project),
  'sweeps.list': (_input, { project }) =>
    listSweeps(project.db).map((row): SweepListing => {
      const { sweep } = parseJson<StoredSweepSpec>(row.specJson, 'steering_specs.spec_json');
      return {
        sweepId: row.sweepId,
        model: sweep.model.name,
        vector: sweep.vector?.name ?? null,
        sae: sweep.sae ? { name: sweep.sae.name, feature: sweep.sae.feature } : null,
        method: sweep.method,
        layer: sweep.layer,
        positions: sweep.positions,
        ks: sweep.ks,
        prompts: sweep.prompts.count,
        images: sweep.images?.count ?? null,
        tokens: sweep.decoding.tokens,
        chat: sweep.chat,
        sampling:
          sweep.decoding.kind === 'sample'
            ? { temperature: sweep.decoding.temperature!, topP: sweep.decoding.topP!, seed: sweep.seed }
            : null,
        generations: row.generations,
        createdAt: row.createdAt,
      };
    }),
  'sweeps.generations': (input, { project }) => {
    let sweepId = input.sweepId ?? null;
    if (input.jobId !== undefined) {
      const job = getJob(project.db, input.jobId);
      const params = job?.kind === 'sweep' ? (job.params as { sweep?: unknown }) : null;
      sweepId = typeof params?.sweep === 'string' ? params.sweep : null;
    }
    return { sweepId, generations: sweepId === null ? [] : sweepGenerations(project.db, sweepId) };
  },
  'sweeps.readPrompts': (input) => readPromptsFile(input.path),
};
