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
  /** `mine --shard i/n`: the shard, and the folder its accumulators went to (`sightline merge` adds them up) */
  shard?: string;
  shardDir?: string;
}

/** `sightline merge` of `mine --shard` folders: what mine.merge answers. */
export interface MineMergeSummary {
  sae: string;
  corpus: string;
  shards: number;
  tokens: number;
  features: number;
  alive: number;
  /** examples this merge wrote (0 when it was already merged) */
  examples: number;
  /** the project already held this very merge (same shards): nothing was written */
  alreadyMerged: boolean;
  jobId: number | null;
  state: 'done' | 'cancelled';
  /** what encoded the shards' passes */
  provider: string;
  /** identifies the set of shards merged (recorded in every feature's stats as mergedShards.key) */
  key: string;
}

/** `--shard i/n` of mine and sweep: block `index` of `count` (0-based). */
export const shardInput = z
  .object({ index: z.number().int().min(0), count: z.number().int().min(1).max(100_000) })
  .strict()
  .refine((s) => s.index < s.count, { message: 'expected 0 <= index < count' });

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
        /** mine block `index` of `count` blocks of the corpus's documents and save the accumulators (mine-shard.ts) */
        shard: shardInput.optional(),
        /** the shard's folder (default <project>/mine-shards/<sae>/<i>-of-<n>) */
        out: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    output: returns<MineSummary>(),
  }),
  'mine.merge': method({
    role: 'researcher',
    summary:
      "Adds up the folders `mine --shard i/n` wrote (all n, of one mine of this project's SAE and corpus) exactly and writes the features and examples as one unsharded mine would; merging the same shards again changes nothing. Progress comes as 'job.progress' events",
    input: z
      .object({
        shards: z.array(z.string().min(1).max(4096)).min(1).max(100_000),
        provider: z.enum(['auto', 'cuda', 'cpu']).optional(),
        threads: z.number().int().min(1).max(1024).optional(),
      })
      .strict(),
    output: returns<MineMergeSummary>(),
  }),
};
