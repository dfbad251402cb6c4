// Campaign results: agreement per question, aggregated labels, rater reliability and steering
// dose-response. Plain data types (the renderer imports them type-only) and the one method.
import { z } from 'zod';
import { method, returns } from './define';

export type ResultValue = string | number;

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
  /** Agreement with the majority label on choice questions (includes the rater's own vote). */
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
  /** Mean of each scale question (e.g. coherence) at this k, null when unanswered. */
  meanScales: Record<string, number | null>;
}

export interface SteeringCurve {
  layer: ResultValue | null;
  sourceClass?: string;
  targetClass?: string;
  points: SteeringPoint[];
}

export interface SteeringResults {
  questionId: string;
  /** "answer == hidden.target_class (or hidden.correct)" */
  success: string;
  byLayer: SteeringCurve[];
  byClassPair: SteeringCurve[];
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
  notes: string[];
}

export const resultsMethods = {
  'results.campaign': method({
    role: 'researcher',
    summary: "A campaign's agreement (with bootstrap intervals), aggregated labels, rater reliability and steering curves",
    input: z
      .object({
        campaignId: z.number().int().positive(),
        bootstrapSeed: z.number().int().optional(),
        bootstrapReplicates: z.number().int().min(1).max(100_000).optional(),
      })
      .strict(),
    output: returns<CampaignResults>(),
  }),
};
