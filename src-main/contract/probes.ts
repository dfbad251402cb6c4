// Probes (issue 14): from captured corpora with class labels, per layer the difference of class means
// (stored as steering vectors) and a logistic probe's validation accuracy (decodability by layer).
import { z } from 'zod';
import { method, returns } from './define';

export interface ProbeLayer {
  corpus: string;
  layer: number | null;
  /** labelled documents used (in the chosen classes) */
  documents: number;
  /** documents with no label (left out) */
  unlabelled: number;
  /** which rows were mean-pooled per document: image tokens when it has image rows, else text tokens */
  pooled: 'image' | 'text' | 'mixed';
  classes: { name: string; documents: number }[];
  /** v_from→to = μ_to − μ_from for each pair of classes (in the classes' order), stored under these names */
  pairs: { from: string; to: string; norm: number; vector: string; unitVector: string }[];
  logistic: {
    train: number;
    validation: number;
    trainAccuracy: number;
    /** null when nothing was held out (--validation 0) */
    validationAccuracy: number | null;
    /** the share of the largest class: what always guessing it scores */
    chance: number;
    loss: number;
    iterations: number;
  };
}

/** One vector a probe run made (a class pair's difference of means, raw or unit length). */
export interface ProbeVector {
  name: string;
  sha256: string;
  dModel: number;
  /** false when the project already held it (same name, same values) */
  stored: boolean;
  corpus: string;
  layer: number | null;
  from: string;
  to: string;
  unit: boolean;
  norm: number;
}

export interface ProbeSummary {
  jobId: number;
  /** the stored run (probes.get); null when cancelled */
  runId: number | null;
  /** the vector name prefix asked for (--name), if any */
  name: string | null;
  /** when the run finished (ms since the epoch; the project's clock) */
  createdAt: number;
  /** cancelled: nothing was stored, and layers and vectors are empty */
  state: 'done' | 'cancelled';
  /** where the labels came from */
  labels: string;
  validation: number;
  seed: number;
  l2: number;
  layers: ProbeLayer[];
  /** every vector of the run; `stored` false when the project already held it (same name, same values) */
  vectors: ProbeVector[];
}

/** A stored probe run as probes.list shows it: enough to pick one and see its curve's peak. */
export interface ProbeRunListing {
  runId: number;
  jobId: number | null;
  name: string | null;
  createdAt: number;
  corpora: string[];
  labels: string;
  classes: string[];
  layers: { corpus: string; layer: number | null; validationAccuracy: number | null; chance: number }[];
  vectors: number;
}

/** What a probe run takes: probes.run (to its end) and probes.start (in the background) alike. */
const probeInput = z
  .object({
    corpora: z.array(z.string().min(1)).min(1).max(1000),
    /** a CSV document,label (resolved by the caller) */
    labels: z.string().min(1).optional(),
    labelsFromFolders: z.boolean().default(false),
    classes: z.array(z.string().min(1).max(200)).min(2).max(1000).optional(),
    validation: z.number().min(0).lt(1).default(0.2),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
    l2: z.number().min(0).max(1e6).default(1e-2),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();

export const probeMethods = {
  'probes.run': method({
    role: 'researcher',
    summary:
      "A job: per corpus (one layer each), mean-pooled activation per labelled document, difference-of-means vectors for each class pair (raw and unit, stored as vectors) and a multiclass logistic probe's validation accuracy; progress (shards read) as 'job.progress' events, cancel with jobs.cancel (nothing is stored then)",
    input: probeInput,
    output: returns<ProbeSummary>(),
  }),
  'probes.start': method({
    role: 'researcher',
    summary:
      "Starts a probe run (as probes.run) in the background and answers with its job id once the job exists; progress as 'job.progress' events, cancel with jobs.cancel; the run is stored when it ends (probes.list)",
    input: probeInput,
    output: returns<{ jobId: number }>(),
  }),
  'probes.list': method({
    role: 'researcher',
    summary: "The project's finished probe runs, newest first, each with its validation accuracy by layer",
    input: z.object({}).strict(),
    output: returns<ProbeRunListing[]>(),
  }),
  'probes.get': method({
    role: 'researcher',
    summary: 'One stored probe run as probes.run returned it: accuracy by layer, classes and vectors',
    input: z.object({ runId: z.number().int().min(1) }).strict(),
    output: returns<ProbeSummary>(),
  }),
};
