// Data shapes that cross the bridges. Plain types: the renderer imports them type-only.
import type { DisplaySpec, OptionSpec } from './templates';

export interface ProjectOverview {
  name: string;
  dir: string;
  schemaVersion: number;
  counts: { documents: number; features: number; campaigns: number; raters: number; judgements: number };
  saes: SaeSummary[];
  corpora: CorpusSummary[];
  /** The execution provider the last mining run used and why; null before any mining run. */
  engine: EngineStatus | null;
}

export interface CorpusSummary {
  id: number;
  name: string;
  documentCount: number;
  /** Activation rows over its shards (tokens and patches). */
  rows: number;
  /** The model and layer the activations came from, when the import recorded them. */
  model: string | null;
  layer: number | null;
}

export interface EngineStatus {
  provider: string;
  reason: string;
  /** Where the status comes from, e.g. "mine job 12 (layer20 × demo)". */
  source: string;
}

export interface SaeSummary {
  id: number;
  name: string;
  architecture: string;
  layer: number | null;
  dIn: number;
  dSae: number;
  featureCount: number;
}

export type Modality = 'image' | 'text' | 'shared' | 'dead';

export interface FeatureRow {
  id: number;
  saeId: number;
  /** The SAE's name: with `index`, the feature's address (#/feature/<sae>/<index>) and what the CLI takes. */
  saeName: string;
  /** The SAE's layer and the model it reads, for headers and the list's SAE column (null when not recorded). */
  layer: number | null;
  model: string | null;
  index: number;
  density: number;
  maxActivation: number;
  fireCount: number;
  imageCount: number;
  textCount: number;
  modality: Modality;
  label: string | null;
}

/**
 * A glance at a feature's strongest example for one row of the feature list: the image with its
 * base patch grid max-pooled to at most 8×8 (a thumbnail needs no more, and a page of 200 rows stays
 * small), and/or a few tokens around the max-activating one.
 */
export interface FeaturePreview {
  maxActivation: number;
  image: { sha256: string; rows: number; cols: number; patches: number[] } | null;
  tokens: TokenActivation[] | null;
}

/** A feature list row: the feature and a preview of its top example (null when it has none). */
export interface FeatureListRow extends FeatureRow {
  preview: FeaturePreview | null;
}

/** A token with its activation value for one feature. */
export interface TokenActivation {
  token: string;
  value: number;
}

/** One anyres tile of an example's image (tile 1, 2, …; tile 0 is the base grid in `image`). */
export interface ImageTile {
  tile: number;
  rows: number;
  cols: number;
  /** Per-patch activations, row-major; null when mining stored none for this tile. */
  patches: number[] | null;
}

export interface ExampleView {
  id: number;
  bucket: string;
  rank: number;
  maxActivation: number;
  documentId: number;
  /** Text tokens with per-token values (null if the example has no text). */
  tokens: TokenActivation[] | null;
  /** Image sha256 (serve as /media/<sha>) and the per-patch grid [rows][cols], if the example has an image. */
  image: {
    sha256: string;
    rows: number;
    cols: number;
    patches: number[];
    /** LLaVA-NeXT anyres tiles after the base grid, when the document has them. */
    anyres?: ImageTile[];
  } | null;
}

/** How a feature was mined (from features.stats_json), so the page can name its sampling scheme. */
export interface FeatureSampling {
  /** 'equal-count' (delphi) or 'equal-width' (SAEDashboard); null when the run recorded none. */
  scheme: string | null;
  quantiles: number | null;
  perQuantile: number | null;
  /** Share of firings on one modality above which a feature counts as image-only / text-only. */
  modalityShare: number | null;
  histogram: string | null;
  sampling: string | null;
  corpus: string | null;
  /** The execution provider that encoded the run, and why it was chosen (null for runs that did not record it). */
  provider: string | null;
  providerReason: string | null;
  /** Tokens the density is counted over. */
  tokenCount: number;
}

export interface FeatureDetail {
  feature: FeatureRow;
  histogram: { edges: number[]; counts: number[] };
  examples: ExampleView[];
  sampling: FeatureSampling;
  /** Who accepted feature.label from a labelling campaign, and when; absent or null when nobody has. */
  acceptedLabel?: AcceptedFeatureLabel | null;
}

/** A label a researcher accepted as the feature's label (issue 15). */
export interface AcceptedFeatureLabel {
  featureId: number;
  label: string;
  /** The name the researcher gave when accepting. */
  acceptedBy: string;
  /** ms since the epoch. */
  acceptedAt: number;
  /** The labelling campaign the label came from, when accepted from results. */
  campaignId: number | null;
}

/** Modality split of one SAE's mined features: the quantity behind "sharing grows with depth". */
export interface ModalityLayerRow {
  saeId: number;
  name: string;
  model: string | null;
  layer: number | null;
  dSae: number;
  /** Features with a mined row (0 when the SAE has not been mined). */
  mined: number;
  image: number;
  text: number;
  shared: number;
  dead: number;
  /** shared / (image + text + shared); null when no feature is alive. */
  sharedFraction: number | null;
  /** The image-only / text-only threshold the run recorded (stats_json.modalityShare), if any. */
  modalityShare: number | null;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** One job as jobs.list shows it. Rate and ETA come from the live run when it is in this process. */
export interface JobSummary {
  id: number;
  kind: string;
  state: JobState;
  done: number;
  total: number | null;
  /** What done/total count: tokens for mining, rows for exports. */
  unit: string;
  ratePerSecond: number | null;
  etaSeconds: number | null;
  /** A short human summary of the params ("SAE layer10 × corpus demo, top 20, k 64, equal-count"). */
  params: string;
  error: string | null;
  /** Engine provider line etc. for a run this process started. */
  message: string | null;
  /** True when this process runs it (so jobs.cancel can reach it). */
  cancellable: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface CampaignSummary {
  id: number;
  name: string;
  templateId: string;
  templateTitle: string;
  status: 'open' | 'paused' | 'closed';
  overlap: number;
  itemCount: number;
  raterCount: number;
  submitted: number;
  target: number;
  /** Prolific-style study link (path; the participant ids are filled in by Prolific), or null. */
  entryPath: string | null;
  /** When the campaign was archived (ms since the epoch); null while live. */
  archivedAt: number | null;
}

/** What campaigns.archive and campaigns.delete did. */
export interface CampaignRetired {
  /** 'deleted': gone with its items and raters; 'archived': kept (judgements and all), closed, hidden and renamed. */
  outcome: 'deleted' | 'archived';
  /** The archived campaign's new name (its old one is free again); null when deleted. */
  archivedName: string | null;
  /** The JSONL export written before a forced delete archived a campaign with judgements; else null. */
  exportPath: string | null;
}

export interface RaterLink {
  id: number;
  name: string;
  pseudonym: string;
  status: 'active' | 'revoked' | 'disqualified';
  submitted: number;
  /** Path + query of the rater's link (e.g. /rate?token=...); the client prefixes its own origin. */
  link: string;
  token: string;
}

// ---- Templates: a template is data (a JSON question schema); see templates.ts --------------

export type { DisplaySpec, OptionSpec, QuestionSpec, TemplateSpec } from './templates';

// ---- Rater side: nothing here may carry hidden fields ------------------------------------------

/** A question as shown to one rater: choice options are in that rater's shown order. */
export type ShownQuestion =
  | { id: string; type: 'choice' | 'multi'; prompt: string; options: OptionSpec[]; keys: string[]; required: boolean }
  | {
      id: string;
      type: 'scale';
      prompt: string;
      min: number;
      max: number;
      minLabel?: string;
      maxLabel?: string;
      required: boolean;
    }
  | { id: string; type: 'text'; prompt: string; required: boolean; placeholder?: string };

/** Sides of each `pair` display as shown to one rater (recorded with the assignment and judgement, never sent): `fields` in template order; when `swapped`, fields[1] is shown on the left. */
export interface ShownPair {
  fields: [string, string];
  swapped: boolean;
}

export interface RaterItem {
  assignmentId: number;
  display: DisplaySpec[];
  /**
   * The fields the display blocks show, each pair display's texts already in this rater's left/right
   * order (domain/templates/show.ts payloadAsShown): no flag tells the rater which side was swapped;
   * the sides are recorded with the assignment.
   */
  payload: Record<string, unknown>;
  questions: ShownQuestion[];
  leaseExpiresAt: number;
}

export interface RaterProgress {
  submitted: number;
  /** Items this rater can still be given (bounded by max items per rater). */
  total: number;
  /** Skips the rater has left where the campaign bounds them (maxSkipsPerRater); absent when unlimited. */
  skipsLeft?: number;
}

/**
 * Why rater.next returned no items although the rater may not be done: the campaign is paused or
 * closed by the researcher, or every item the rater could still get is leased to other raters for
 * now (their leases may run out). null with no items means the rater is done.
 */
export type RaterWaiting = 'paused' | 'closed' | 'leased';

export interface RaterNext {
  items: RaterItem[];
  progress: RaterProgress;
  /** Set only when items is empty and the rater is not done; see RaterWaiting. */
  waiting: RaterWaiting | null;
}

export interface RaterSession {
  raterName: string;
  campaignName: string;
  instructions: string;
  instructionsVersion: number;
  templateTitle: string;
  progress: RaterProgress;
  /** 'disqualified' after a failed qualification round: no more items. */
  status: 'active' | 'disqualified';
  /** passed stays null until the round's last answer: the verdict is given once, at the end. */
  qualification: { required: number; answered: number; passed: boolean | null } | null;
  /**
   * The Prolific code, given only once the rater has finished (domain/completion.ts); null before
   * that and on campaigns without a study link.
   */
  completion: RaterCompletion | null;
}

export interface RaterCompletion {
  /** 'completed': every rule met. 'screened-out': failed the qualification round or an attention check. */
  outcome: 'completed' | 'screened-out';
  /** The code for this outcome; null when the campaign has none (no screen-out code set). */
  code: string | null;
  /** Prolific's completion URL for the code; null with no code. */
  url: string | null;
}

export type AnswerValue = string | number | string[] | null;
export type Answer = Record<string, AnswerValue>;

// ---- Events pushed from main to every client ---------------------------------------------------

export interface CampaignProgressEvent {
  campaignId: number;
  submitted: number;
  target: number;
}

export interface JobProgressEvent {
  jobId: number;
  kind: string;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  done: number;
  total: number | null;
  ratePerSecond: number | null;
  etaSeconds: number | null;
  message?: string;
}

/** Leases of a campaign ran out (their items go back to the pool); sent when it happens, by a timer. */
export interface CampaignLeasesExpiredEvent {
  campaignId: number;
  /** How many leases ran out since the last such event. */
  expired: number;
  /** When the campaign's next open lease runs out, or null when none is open. */
  nextExpiryAt: number | null;
}

export interface EventMap {
  'campaign.progress': CampaignProgressEvent;
  'campaign.leasesExpired': CampaignLeasesExpiredEvent;
  'job.progress': JobProgressEvent;
  'model.hashProgress': import('./models').ModelHashProgressEvent;
  'generate.step': import('./models').GenerateStepEvent;
  'steer.step': import('./steer').SteerStepEvent;
  'sweep.info': import('./sweeps').SweepInfoEvent;
}
export type EventName = keyof EventMap;
/** Which events a rater connection may receive (none carry research data). */
export const RATER_EVENTS: readonly EventName[] = [];

// ---- Researcher monitor -------------------------------------------------------------------------

export interface RaterMonitorRow {
  id: number;
  name: string;
  pseudonym: string;
  status: 'active' | 'revoked' | 'disqualified';
  submitted: number;
  skipped: number;
  flagged: number;
  openLeases: number;
  expiredLeases: number;
  gold: { answered: number; correct: number; accuracy: number | null };
  attention: { answered: number; failed: number };
  qualification: { required: number; answered: number; correct: number; passed: boolean | null } | null;
  medianActiveMs: number | null;
  /** Median active time below 30% of the campaign's median: a speed flag, not a verdict. */
  tooFast: boolean;
  /** Items seen per condition (the achieved balance). */
  conditions: Record<string, number>;
  /** The Prolific code the rater was first given and when (ms since the epoch); null until then. */
  completion: { outcome: 'completed' | 'screened-out'; shownAt: number } | null;
}

export interface FlaggedItem {
  flagId: number;
  itemId: number;
  position: number;
  rater: string;
  comment: string;
  createdAt: number;
}

export interface CampaignMonitor {
  campaign: CampaignSummary;
  raters: RaterMonitorRow[];
  flagged: FlaggedItem[];
  leases: { open: number; expired: number; nextExpiryAt: number | null };
  medianActiveMs: number | null;
  /** Conditions and how evenly each rater saw them: max over raters of (max−min) count across conditions. */
  balance: { conditions: string[]; maxSpread: number };
}
