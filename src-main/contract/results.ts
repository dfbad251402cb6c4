// Campaign results: agreement per question, aggregated labels, rater reliability and steering
// dose-response. Plain data types (the renderer imports them type-only) and the one method.
import { z } from 'zod';
import { method, returns } from './define';
import type { AcceptedFeatureLabel } from './types';

export type ResultValue = string | number;

/** The formats results.import reads (`sightline import-results --format`). */
export const IMPORT_FORMATS = ['mturk', 'jsonl', 'csv', 'label-studio', 'parquet', 'hf'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Judgements imported as a new campaign: what results.import answers and `sightline import-results` prints. */
export interface ImportedResults {
  campaignId: number;
  campaignName: string;
  format: ImportFormat;
  template: { id: string; version: number; inferred: boolean };
  items: number;
  raters: number;
  judgements: number;
  /** Rows left out on purpose: MTurk rejected assignments, Label Studio cancelled annotations. */
  skippedRejected: number;
}

export interface AlphaSummary {
  metric: 'nominal' | 'ordinal' | 'interval';
  /** null when undefined (no variation) or not computable; `reason` says which. */
  alpha: number | null;
  /** Percentile bootstrap bounds over items (units). */
  lower: number | null;
  upper: number | null;
  confidenceLevel: number;
  pairableUnits: number;
  reason: string | null;
}

export interface CohenPairRow {
  raterA: string;
  raterB: string;
  /** Items both raters rated (the units the pair's kappa is computed on). */
  items: number;
  /** null when both raters gave one and the same value throughout (expected agreement is 1). */
  kappa: number | null;
  observedAgreement: number;
}

export interface QuestionAgreement {
  questionId: string;
  type: 'choice' | 'multi' | 'scale' | 'text';
  prompt: string;
  ratings: number;
  units: number;
  raters: number;
  /** Text answers are compared after trimming and lower-casing; multi answers as exact sets. */
  normalisation: string | null;
  alpha: AlphaSummary[];
  fleissKappa: number | null;
  fleissReason: string | null;
  meanCohenKappa: number | null;
  cohenPairs: number;
  /** Cohen's kappa of each rater pair that shares an item (the mean above is over these): pseudonyms, items in common, kappa. */
  cohenByPair: CohenPairRow[];
  cohenReason: string | null;
  percentAgreement: number | null;
  percentReason: string | null;
}

export interface AggregatedLabel {
  itemId: number;
  itemPosition: number;
  questionId: string;
  /** null on an unresolved tie (see `tiedLabels`). */
  majority: ResultValue | null;
  tiedLabels: ResultValue[];
  votes: number;
  totalVotes: number;
  dawidSkene: ResultValue | null;
  /** Posterior probability of the Dawid–Skene label. */
  dawidSkeneProbability: number | null;
}

export interface DawidSkeneSummary {
  questionId: string;
  classes: ResultValue[];
  priors: number[];
  iterations: number;
  converged: boolean;
  /** Per rater: confusion[trueClass][givenLabel], rows follow `classes`. */
  raters: { rater: string; confusion: number[][]; ratings: number }[];
}

export interface RaterReliabilityRow {
  rater: string;
  judgements: number;
  goldRatings: number;
  goldAccuracy: number | null;
  consensusRatings: number;
  /** Agreement with the majority label of the other raters on choice questions (the rater's own vote left out; ties among the others not compared). */
  consensusAgreement: number | null;
  medianActiveMs: number | null;
  tooFast: boolean;
}

export interface SteeringPoint {
  k: number;
  n: number;
  successes: number;
  rate: number;
  /** Wilson score 95% interval. */
  lower: number;
  upper: number;
  /**
   * Each numeric question (scales such as coherence, and graded choices such as relatedness) at this
   * k: mean with a Student-t 95% interval (bounds null for a single answer); null when unanswered.
   */
  scales: Record<string, ScaleMean | null>;
}

export interface ScaleMean {
  n: number;
  mean: number;
  sd: number | null;
  lower: number | null;
  upper: number | null;
}

export interface SteeringCurve {
  layer: ResultValue | null;
  sourceClass?: string;
  targetClass?: string;
  points: SteeringPoint[];
}

export interface SteeringResults {
  questionId: string;
  /**
   * How success was counted: "answer.concept == hidden.target_class (or hidden.correct)" for concept
   * choice; "answer.relatedness >= 0.5" for graded relatedness to the target concept.
   */
  success: string;
  byLayer: SteeringCurve[];
  byClassPair: SteeringCurve[];
  /** The full range of each numeric question in `scales` ([1, 5] for a 1–5 scale, [0, 1] for relatedness): plots use it as a fixed axis. */
  scaleRanges: Record<string, [number, number]>;
}

export interface FeatureResultRow {
  itemId: number;
  featureId: number;
  featureIndex: number | null;
  saeId: number | null;
  /** Non-empty labels given. */
  labels: number;
  /** Each rater's label as written (trimmed), in judgement order. */
  givenLabels: { rater: string; label: string }[];
  /** Share of the labels that are the most common one (trimmed, lower-cased); null without labels. */
  labelAgreement: number | null;
  /** The label accepted as the feature's, with who and when; null when none is. */
  acceptedLabel: AcceptedFeatureLabel | null;
  /** The (trimmed, lower-cased) label more than half of the feature's raters gave, else null. */
  majorityLabel: string | null;
  meanScore: number | null;
  /** Modality votes by answer value (image / text / both / neither). */
  modalityVotes: Record<string, number>;
  majorityModality: string | null;
  /** features.modality as mined: image, text, shared or dead. */
  minedModality: string | null;
}

/** Feature-label campaigns: label coverage, score distribution, modality votes against the mined split. */
export interface FeatureResults {
  labelQuestionId: string | null;
  coverage: { features: number; withLabel: number; withMajorityLabel: number };
  scoreDistribution: {
    questionId: string;
    min: number;
    max: number;
    counts: { score: number; count: number }[];
    ratings: number;
    mean: number | null;
    median: number | null;
    /** Each rated feature's mean score. */
    featureMeans: number[];
  } | null;
  modality: {
    questionId: string;
    /** Answer values, the columns of counts. */
    votes: string[];
    /** Mined modalities, the rows of counts. */
    mined: string[];
    /** counts[mined][vote]: every vote on features of that mined modality. */
    counts: number[][];
    featuresCompared: number;
    /** Share of features whose majority vote maps (see mapping) to the mined modality. */
    majorityMatchesMined: number | null;
    mapping: Record<string, string>;
  } | null;
  features: FeatureResultRow[];
}

/** A share with its Wilson 95% interval; rate is null when n is 0. */
export interface Proportion {
  successes: number;
  n: number;
  rate: number | null;
  lower: number;
  upper: number;
}

/** Where a rated feature lives: its features-table id, SAE and index (null when the project lacks the row). */
export interface FeatureRef {
  featureId: number;
  saeId: number | null;
  featureIndex: number | null;
}

/** Intruder campaigns: how often raters picked the hidden intruder (hidden.intruder_option). */
export interface IntruderResults {
  questionId: string;
  /** 1 / options shown: what guessing scores. */
  chance: number | null;
  overall: Proportion;
  byFeature: (FeatureRef & Proportion & { items: number })[];
  byItem: ({ itemId: number; itemPosition: number; featureId: number | null } & Proportion)[];
}

export interface DetectionCounts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** null when undefined (nothing selected; nothing activating; both zero). */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  accuracy: number | null;
}

/**
 * Detection campaigns: each shown example is a yes/no call against the hidden activating examples
 * (hidden.activating_options), as in delphi's detection score but with human raters.
 */
export interface DetectionResults {
  questionId: string;
  judgements: number;
  overall: DetectionCounts;
  byFeature: (FeatureRef & DetectionCounts & { judgements: number })[];
  /**
   * Per sampling bucket of the shown examples (top, q…, then "non-activating"): how often raters
   * ticked them. For activating buckets that is the recall of the bucket; for non-activating
   * examples it is the false-positive rate.
   */
  byBucket: ({ bucket: string; activating: boolean } & Proportion)[];
}

export interface PairwiseTally {
  wins: number;
  losses: number;
  ties: number;
  /** Wins over all judgements (ties included in n), with its Wilson interval. */
  winRate: Proportion;
}

/** Pairwise A/B campaigns: win rates per side's field and per compared system, and Bradley–Terry strengths. */
export interface PairwiseResults {
  questionId: string;
  /** The pair display's two fields (e.g. a, b): the sides are counterbalanced, so these are what won. */
  fields: [string, string];
  judgements: number;
  sides: ({ field: string } & PairwiseTally)[];
  /** Each system (hidden[field] such as "k=0", else the field name), sorted numerically. */
  systems: ({ system: string; comparisons: number; strength: number | null } & PairwiseTally)[];
  /** Fitted when there are more than two systems (MM, Hunter 2004; a tie is half a win each). */
  bradleyTerry: { fitted: boolean; iterations: number; converged: boolean; reason: string | null } | null;
}

export interface CampaignResults {
  campaign: { id: number; name: string; templateId: string; templateVersion: number };
  counts: { items: number; judgements: number; raters: number };
  bootstrap: { seed: number; replicates: number };
  questions: QuestionAgreement[];
  labels: AggregatedLabel[];
  dawidSkene: DawidSkeneSummary[];
  raters: { list: RaterReliabilityRow[]; overallMedianActiveMs: number | null; fastThresholdMs: number | null };
  steering: SteeringResults | null;
  features: FeatureResults | null;
  intruder: IntruderResults | null;
  detection: DetectionResults | null;
  pairwise: PairwiseResults | null;
  notes: string[];
}

export const EXPORT_FORMAT_NAMES = ['jsonl', 'csv', 'parquet', 'hf', 'mturk', 'labelstudio', 'neuronpedia'] as const;

/** One file an export wrote, as its provenance manifest lists it. */
export interface OutputFileRecord {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** campaigns.export's answer: the job, and the file (written only when state is 'done'). */
export interface ExportJobStatus {
  jobId: number;
  state: 'running' | 'done' | 'cancelled';
  format: (typeof EXPORT_FORMAT_NAMES)[number];
  path: string;
  /** Rows written (0 until done): judgements, or Label Studio tasks, or Neuronpedia explanations. */
  rows: number;
  /** The provenance manifest and the files written, once done. */
  provenancePath: string | null;
  files: OutputFileRecord[];
}

export const resultsMethods = {
  'results.campaign': method({
    role: 'researcher',
    summary:
      "A campaign's agreement (with bootstrap intervals), aggregated labels, rater reliability and steering curves",
    input: z
      .object({
        campaignId: z.number().int().positive(),
        bootstrapSeed: z.number().int().optional(),
        bootstrapReplicates: z.number().int().min(1).max(100_000).optional(),
      })
      .strict(),
    output: returns<CampaignResults>(),
  }),
  'campaigns.export': method({
    role: 'researcher',
    summary:
      "Exports a campaign's judgements as a job (kind 'export', with 'job.progress' events), to `out` or else the project's exports/ folder. " +
      'The campaign is campaignId or its name (campaign). Waits for the file unless wait is false, in which case it answers at once with the jobId (state running); jobs.cancel stops it.',
    input: z
      .object({
        campaignId: z.number().int().positive().optional(),
        campaign: z.string().min(1).max(200).optional(),
        format: z.enum(EXPORT_FORMAT_NAMES),
        /** a file (a folder for hf); absolute, or relative to the process's working folder */
        out: z.string().min(1).max(4096).optional(),
        revealRaters: z.boolean().optional(),
        fullShown: z.boolean().optional(),
        wait: z.boolean().optional(),
      })
      .strict()
      .refine((input) => (input.campaignId === undefined) !== (input.campaign === undefined), {
        message: 'give exactly one of campaignId and campaign',
      }),
    output: returns<ExportJobStatus>(),
  }),
  'results.import': method({
    role: 'researcher',
    summary:
      'Imports judgements collected elsewhere or exported by Sightline (MTurk batch results CSV, JSONL, CSV, Label Studio JSON, Parquet, Hugging Face dataset folder) from a file on this machine as a new campaign; nothing is written when the file is refused',
    input: z
      .object({
        /** the results file, or the Hugging Face dataset folder; relative to the process's working folder */
        path: z.string().min(1).max(4096),
        /** auto: recognised from the extension, the folder or a CSV header */
        format: z.enum(['auto', ...IMPORT_FORMATS]).default('auto'),
        campaign: z.string().min(1).max(200),
        /** built-in template id (default: inferred from the answers) */
        template: z.string().min(1).max(200).optional(),
        /** MTurk only, with template: a JSON mapping file reading an old batch's columns into the template */
        mapping: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    output: returns<ImportedResults>(),
  }),
};
