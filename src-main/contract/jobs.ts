// Long jobs seen from the UI: the recent ones, cancelling one, and starting a mine in the process
// that serves the UI. Progress arrives as 'job.progress' events (see types.ts), never by polling.
import { z } from 'zod';
import { method, returns } from './define';
import type { JobState, JobSummary } from './types';

const id = z.number().int().positive();

export const jobMethods = {
  'jobs.list': method({
    role: 'researcher',
    summary: 'Recent jobs with state, progress, rate, ETA, a summary of their params and any error',
    input: z.object({ limit: z.number().int().min(1).max(200).default(20) }).strict(),
    output: returns<JobSummary[]>(),
  }),
  'jobs.cancel': method({
    role: 'researcher',
    summary: 'Asks a job running in this process to stop at its next batch; it ends as cancelled and writes nothing',
    input: z.object({ jobId: id }).strict(),
    output: returns<{ jobId: number; requested: boolean; state: JobState }>(),
  }),
  'mine.start': method({
    role: 'researcher',
    summary: "Starts mining an SAE over a corpus in the background; progress comes as 'job.progress' events",
    input: z
      .object({
        saeId: id,
        corpusId: id,
        top: z.number().int().min(1).max(1000).optional(),
        provider: z.enum(['auto', 'cuda', 'cpu']).optional(),
        scheme: z.enum(['equal-count', 'equal-width']).optional(),
      })
      .strict(),
    output: returns<{ jobId: number }>(),
  }),
};
