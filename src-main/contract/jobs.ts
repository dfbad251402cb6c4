// Long jobs seen from the UI: the recent ones, cancelling one, and starting a mine in the process
// that serves the UI. Progress arrives as 'job.progress' events (see types.ts), never by polling.
import { z } from 'zod';
import { method, returns } from './define';
import type { JobState, JobSummary } from './types';

const id = z.number().int().positive();

/** A finished (or cancelled) mine: what mine.run answers and `sightline mine` prints. */
export interface MineSummary {
  jobId: number;
  state: 'done' | 'cancelled';
  sae: string;
  corpus: string;
  tokens: number;
  features: number;
  alive: number;
  examples: number;
  provider: string;
  providerReason: string;
  k: number;
  scheme: 'equal-count' | 'equal-width';
  resumedFromTokens: number | null;
  seconds: number;
  /**
   * wall seconds of each phase: loading the SAE in the engine, the streaming pass, writing results;
   * lockSeconds is the part of the write that held project.sqlite's write lock (the swap)
   */
  phases: { loadSeconds: number; passSeconds: number; writeSeconds: number; lockSeconds: number };
}

const mineSettings = {
  top: z.number().int().min(1).max(1000).optional(),
  provider: z.enum(['auto', 'cuda', 'cpu']).optional(),
  scheme: z.enum(['equal-count', 'equal-width']).optional(),
};

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
        ...mineSettings,
      })
      .strict(),
    output: returns<{ jobId: number }>(),
  }),
  'mine.run': method({
    role: 'researcher',
    summary:
      "Mines an SAE over a corpus (by name) and answers with the summary when it ends (done, or cancelled through jobs.cancel); progress comes as 'job.progress' events. Resumes a crashed run from its checkpoint",
    input: z
      .object({
        sae: z.string().min(1).max(200),
        corpus: z.string().min(1).max(200),
        ...mineSettings,
        /** tokens per encoder batch */
        batch: z.number().int().min(1).max(1_000_000).optional(),
        /** features kept per token for non-TopK SAEs */
        k: z.number().int().min(1).max(100_000).optional(),
        /** ORT intra-op threads */
        threads: z.number().int().min(1).max(1024).optional(),
        /** checkpoint interval in ms; 0 checkpoints after every batch */
        checkpointMs: z.number().int().min(0).optional(),
      })
      .strict(),
    output: returns<MineSummary>(),
  }),
};
