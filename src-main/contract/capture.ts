// Activation capture (issue 14): run a model over documents and keep the residual stream at chosen
// layers as activation corpora (one per layer), which mining and probes read like imported ones.
import { z } from 'zod';
import { method, returns } from './define';
import { shardInput } from './jobs';

export interface CaptureSummary {
  jobId: number;
  state: 'done' | 'cancelled';
  captureId: string;
  /** where the shards and sidecars are: <project>/activations/capture-<id> */
  folder: string;
  documents: number;
  /** documents captured by this run (the rest were in finished chunks of an earlier run) */
  captured: number;
  dtype: 'F32' | 'F16';
  /** "i/n" for a shard run (it captured its block of chunks and imported nothing), else null */
  shard: string | null;
  corpora: { layer: number; corpus: string; rows: number; imported: boolean }[];
  provider: string | null;
}

/** What capture.start answers: the job, and what it will make (known before any work starts). */
export interface CaptureStarted {
  jobId: number;
  captureId: string;
  /** the corpora the capture imports when it ends, one per layer */
  corpora: { layer: number; corpus: string }[];
}

/** What a capture is: the same for capture.run and capture.start. */
const captureSettings = {
  model: z.string().min(1),
  layers: z.array(z.number().int().min(0)).min(1).max(1000),
  /** a text file (one caption per line) or CSV document,caption[,label]; resolved by the caller */
  captions: z.string().min(1).optional(),
  /** image documents (LLaVA-NeXT): a folder, one subfolder per class, or a CSV image,document,label|class,caption */
  images: z.string().min(1).optional(),
  /** image documents' prompt (default "<image>\nWhat is shown in this image?"); <image> put in front when absent */
  prompt: z.string().min(1).max(100_000).optional(),
  /** image documents' prompt as the user's message of the model's chat template */
  chat: z.boolean().optional(),
  /** corpora are named <corpus>-L<layer> */
  corpus: z.string().min(1).max(200).optional(),
  dtype: z.enum(['F32', 'F16']).default('F32'),
  batch: z.number().int().min(1).max(4096).default(8),
  chunk: z.number().int().min(1).max(10_000_000).default(1024),
  provider: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
  threads: z.number().int().min(1).max(1024).optional(),
};

export const captureMethods = {
  'capture.start': method({
    role: 'researcher',
    summary:
      "Starts a capture (as capture.run, without shards) in the background and answers with its job id, capture id and the corpora it will import; progress as 'job.progress' events, cancel with jobs.cancel; starting it again resumes",
    input: z.object(captureSettings).strict(),
    output: returns<CaptureStarted>(),
  }),
  'capture.run': method({
    role: 'researcher',
    summary:
      "Runs a model over captions and/or images (LLaVA-NeXT: image + prompt [+ caption]) and writes the residual stream at each layer as sightline.activations/1 shards, one corpus per layer, imported in the same job; progress as 'job.progress' events, cancel with jobs.cancel; run again to resume. With `shard` it captures block index of count of the chunks and imports nothing; a run without it imports",
    input: z
      .object({
        ...captureSettings,
        /** capture block index of count of the chunks only (a job array's task), importing nothing */
        shard: shardInput.optional(),
      })
      .strict(),
    output: returns<CaptureSummary>(),
  }),
};
