// Sweeps from the UI (issue 13's Steer page): the same sweep as `sightline sweep`, started in the
// background; progress comes as 'job.progress' events and jobs.cancel stops it after its batch.
import { z } from 'zod';
import { method, returns } from './define';
import { PRECISIONS, samplingInput, steerMethod, steerPositions } from './models';

const className = z.string().min(1).max(200);

export const sweepMethods = {
  'sweeps.start': method({
    role: 'researcher',
    summary:
      "Starts a sweep (one generation per (prompt, k) steered at layer L: add h += k*v, ablate, cap or an SAE-feature clamp; greedy or sampled; each with its KL strength) in the background; progress as 'job.progress' events, cancel with jobs.cancel; resumes cells already written",
    input: z
      .object({
        model: z.string().min(1),
        method: steerMethod.default('add'),
        /** add, ablate, cap: a stored vector; clamp: `sae` and `feature` instead */
        vector: z.string().min(1).optional(),
        sae: z.string().min(1).optional(),
        feature: z.number().int().min(0).optional(),
        layer: z.number().int().min(0),
        /** ablate: [] (one generation per prompt) */
        ks: z.array(z.number().finite()).max(10_000),
        sampling: samplingInput.optional(),
        prompts: z
          .array(
            z
              .object({
                prompt: z.string().min(1).max(1_000_000),
                sourceClass: className.optional(),
                targetClass: className.optional(),
                distractors: z.array(className).max(20).optional(),
              })
              .strict(),
          )
          .min(1)
          .max(100_000),
        positions: steerPositions.default('prompt'),
        tokens: z.number().int().min(1).max(100_000).default(100),
        chat: z.boolean().default(false),
        batch: z.number().int().min(1).max(1024).optional(),
        provider: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
        precision: z.enum(PRECISIONS).default('fp32'),
      })
      .strict(),
    output: returns<{ jobId: number }>(),
  }),
};
