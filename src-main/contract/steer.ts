// The Steer page's calls (issue 13): interactive steered generation beside its k = 0 twin, streamed
// token by token as 'steer.step' events and stopped by steer.cancel; the long-lived engine's state;
// and browsing what sweeps wrote (by sweep or by the job that ran it), with a prompts file read on the
// machine that runs the sweep.
import { z } from 'zod';
import { method, returns } from './define';
import { type GenerationSpec, samplingInput, steerMethod, steerPositions } from './models';

export interface SteerAnswer {
  ids: number[];
  text: string;
}

export interface SteerGenerateOutput {
  promptIds: number[];
  /** row 0 of the batch: the same prompt, unsteered (k = 0) */
  baseline: SteerAnswer;
  /** row 1: steered as asked */
  steered: SteerAnswer;
  /** true when steer.cancel ended it early (the answers hold what was generated until then) */
  stopped: boolean;
  /** the steered row's spec (the baseline's is the same with method 'none') */
  spec: GenerationSpec;
  /** false when the model's session was already loaded in the long-lived engine */
  loadedNow: boolean;
  /**
   * The steered answer's strength in model-relative units: KL(steered || unsteered) in nats of the
   * first generated token's distribution at temperature 1, against the k = 0 twin (0 when the steer
   * changes nothing), as `generate --json` reports it
   */
  kl: number;
  /** with an image: how many positions its <image> took in the prompt (all of them steered by "prompt") */
  imagePositions?: number;
}

/** steer.imagePreview: a thumbnail the page can show, and what the image is. */
export interface ImagePreview {
  /** the absolute path read */
  path: string;
  /** a PNG of at most 256 pixels a side, encoded by the main process (never the file's own bytes) */
  dataUrl: string;
  width: number;
  height: number;
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
  bytes: number;
  sha256: string;
  /** with a LLaVA-NeXT model named: the number of positions the image takes in the prompt */
  positions: number | null;
}

/** One decoding step of steer.generate: each row's token and the text it added (null once a row ended). */
export interface SteerStepEvent {
  stream: string;
  step: number;
  baseline: { token: number; text: string } | null;
  steered: { token: number; text: string } | null;
}

export interface SteerEngineStatus {
  /** sessions built by the long-lived engine since the app started */
  loads: number;
  /** sessions it released (idle, or another model asked for) */
  evictions: number;
  /** the model whose session is held now (its name in this project when known), or null */
  held: { modelSha256: string; model: string | null } | null;
}

export interface SweepListing {
  sweepId: string;
  model: string;
  /** add, ablate, cap: the stored vector's name; clamp: null (see `sae`) */
  vector: string | null;
  /** clamp: the SAE and the feature clamped */
  sae: { name: string; feature: number } | null;
  method: string;
  layer: number;
  positions: unknown;
  ks: number[];
  prompts: number;
  /** `sweep --images`: how many images (one row each), else null */
  images: number | null;
  tokens: number;
  chat: boolean;
  /** greedy, or sampled with its temperature, top-p and seed */
  sampling: { temperature: number; topP: number; seed: number } | null;
  /** generations written so far (the grid has prompts × ks cells) */
  generations: number;
  createdAt: number;
}

export interface SweepGeneration {
  generationId: number;
  cell: number;
  promptIndex: number;
  /** null for ablate (no k) */
  k: number | null;
  prompt: string;
  text: string;
  /** KL(steered || unsteered) in nats at the first generated token (0 where k changes nothing) */
  kl: number | null;
  /** `sweep --images`: the row's image (its document id, and its sha256 in the project's media) */
  image?: { document: string; mediaSha256: string };
}

export interface SweepPromptRow {
  prompt: string;
  sourceClass?: string;
  targetClass?: string;
  distractors?: string[];
}

export const steerMethods = {
  'steer.generate': method({
    role: 'researcher',
    summary:
      "Generation (greedy or sampled, with an optional image for LLaVA-NeXT) steered by a stored vector or an SAE-feature clamp and, in the same batch, its unsteered (k = 0) twin with the same seed; answers with the steered row's KL strength; each step comes as a 'steer.step' event tagged `stream`; steer.cancel stops it. The model stays loaded for the next call",
    input: z
      .object({
        model: z.string().min(1),
        prompt: z.string().max(1_000_000),
        chat: z.boolean().default(false),
        /** add, ablate, cap: a stored vector; clamp: `sae` and `feature` instead */
        vector: z.string().min(1).optional(),
        sae: z.string().min(1).optional(),
        feature: z.number().int().min(0).optional(),
        layer: z.number().int().min(0),
        method: steerMethod.default('add'),
        /** add: k in h += k*v; cap: c in h.v <= c; clamp: the value c; none for ablate */
        k: z.number().finite().optional(),
        /** temperature / top-p; both rows draw from the same seed (chosen, and returned in spec, when absent) */
        sampling: samplingInput.optional(),
        positions: steerPositions.default('prompt'),
        tokens: z.number().int().min(1).max(100_000),
        stopAtEos: z.boolean().default(false),
        provider: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
        /** LLaVA-NeXT: an image file on the machine running the model, for the prompt's <image> (put in front when absent) */
        image: z.string().min(1).max(4096).optional(),
        /** the caller's tag: events carry it, and steer.cancel names it */
        stream: z.string().min(1).max(200),
      })
      .strict()
      .refine(
        (input) =>
          input.method === 'clamp'
            ? input.sae !== undefined && input.feature !== undefined && input.vector === undefined
            : input.sae === undefined && input.feature === undefined && input.vector !== undefined,
        { message: 'give a vector, or (method clamp) sae and feature' },
      ),
    output: returns<SteerGenerateOutput>(),
  }),
  'steer.imagePreview': method({
    role: 'researcher',
    summary:
      'A thumbnail (a small PNG data URL the server encodes) of an image file on this machine, for the Steer page; only PNG, JPEG or WebP files whose header says so. With `model` (LLaVA-NeXT) also the number of positions the image takes in the prompt',
    input: z.object({ path: z.string().min(1).max(4096), model: z.string().min(1).optional() }).strict(),
    output: returns<ImagePreview>(),
  }),
  'steer.cancel': method({
    role: 'researcher',
    summary: 'Stops the steer.generate call tagged `stream` after its current step; it answers with what it had',
    input: z.object({ stream: z.string().min(1).max(200) }).strict(),
    output: returns<{ requested: boolean }>(),
  }),
  'steer.engine': method({
    role: 'researcher',
    summary: "The long-lived engine's loads, evictions and the model it holds",
    input: z.object({}).strict(),
    output: returns<SteerEngineStatus>(),
  }),
  'sweeps.list': method({
    role: 'researcher',
    summary: 'The sweeps whose generations are in the project, newest first',
    input: z.object({}).strict(),
    output: returns<SweepListing[]>(),
  }),
  'sweeps.generations': method({
    role: 'researcher',
    summary: "A sweep's generations in cell order, named by its id or by the job that ran it",
    input: z
      .object({ sweepId: z.string().min(1).max(100).optional(), jobId: z.number().int().positive().optional() })
      .strict()
      .refine((input) => (input.sweepId === undefined) !== (input.jobId === undefined), {
        message: 'give exactly one of sweepId and jobId',
      }),
    output: returns<{ sweepId: string | null; generations: SweepGeneration[] }>(),
  }),
  'sweeps.readPrompts': method({
    role: 'researcher',
    summary:
      'Reads a prompts file (text, CSV or JSONL, as `sightline sweep --prompts`) on this machine, for sweeps.start',
    input: z.object({ path: z.string().min(1).max(4096) }).strict(),
    output: returns<SweepPromptRow[]>(),
  }),
};
