// Language models (issue 13): importing a Hugging Face folder by reference, listing them, and one
// generation, plain or steered. Hash progress comes as 'model.hashProgress' events and generated
// tokens as 'generate.step' events while the call runs.
import { z } from 'zod';
import { method, returns } from './define';

/**
 * Weight precision of a generation: fp32; fp16 (weights rounded to fp16, computed in fp32); int8 or
 * int4 (weight-only, blocks of 32, ONNX Runtime's MatMulNBits). Anything but fp32 is rewritten once
 * into the project's cache/ folder, keyed by the model's sha256.
 */
export const PRECISIONS = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface ModelFileSummary {
  path: string;
  size: number;
  sha256: string;
}

export interface ModelSummary {
  id: number;
  name: string;
  /** the folder, absolute */
  path: string;
  /** bytes of every referenced file */
  size: number;
  /** sha256 over the files' names and hashes */
  sha256: string;
  architecture: string;
  dModel: number;
  nLayers: number;
  vocabSize: number;
  /** dtype the weights are stored in */
  dtype: string;
  hasChatTemplate: boolean;
  files: ModelFileSummary[];
}

/** How tokens were chosen; a sampled generation replays exactly from its seed (one mulberry32 stream per row). */
export type DecodingSpec =
  | { kind: 'greedy'; tokens: number; stopAtEos: boolean }
  | { kind: 'sample'; temperature: number; topP: number; seed: number; tokens: number; stopAtEos: boolean };

/** Everything needed to reproduce one generation. */
export interface GenerationSpec {
  model: { name: string; sha256: string };
  chat: boolean;
  method: 'none' | 'add' | 'ablate' | 'cap' | 'clamp';
  layer: number | null;
  positions: 'prompt' | 'generated' | 'all' | number[] | null;
  /** add: the scale of v; cap: the cap c on h.v; clamp: the value c feature i is set to; ablate and none: null */
  k: number | null;
  /** --vector-file: the file and its sha256; --vector: the stored vector's name and the sha256 of its values */
  vector: { file: string; sha256: string } | { name: string; sha256: string } | null;
  /** clamp: the imported SAE (its sha256 over its files) and the feature */
  sae: { name: string; sha256: string | null; feature: number } | null;
  precision: Precision;
  decoding: DecodingSpec;
  /** which decode loop ran: the worker's (token by token) or the graph's (greedy on CUDA) */
  loop: 'graph' | 'worker';
  ortVersion: string;
  provider: 'cuda' | 'cpu';
  providerReason: string;
  /** LLaVA-NeXT with --image: the file, its sha256, and how many positions its <image> became */
  image?: { file: string; sha256: string; positions: number };
}

export interface GenerateOutput {
  promptIds: number[];
  generatedIds: number[];
  text: string;
  spec: GenerationSpec;
  /** with an image: how many prompt positions its <image> token became (promptIds hold them expanded) */
  imagePositions?: number;
  /**
   * Steered: the strength in model-relative units, KL(steered || unsteered) in nats of the first
   * generated token's distribution at temperature 1; null when not steered.
   */
  kl: number | null;
}

export interface ModelHashProgressEvent {
  name: string;
  file: string;
  bytes: number;
  totalBytes: number;
}

export interface GenerateStepEvent {
  /** the caller's tag for this generation (input `stream`) */
  stream: string | null;
  step: number;
  token: number;
  /** the text this token added (the decoded text so far minus what came before) */
  text: string;
}

/** Where a steer applies: a named span, or these token positions. */
export const steerPositions = z.union([
  z.enum(['prompt', 'generated', 'all']),
  z.array(z.number().int().min(0)).min(1).max(100_000),
]);

/** Temperature + top-p sampling (greedy when absent); the seed is chosen, and returned, when absent. */
export const samplingInput = z
  .object({
    temperature: z.number().finite().min(0),
    topP: z.number().gt(0).max(1).default(1),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
  })
  .strict();

export const steerMethod = z.enum(['add', 'ablate', 'cap', 'clamp']);

export const modelMethods = {
  'models.import': method({
    role: 'researcher',
    summary:
      "References a Hugging Face model folder (Llama, Mistral, LLaVA-NeXT's language model): checks it, hashes every file once (progress as 'model.hashProgress' events) and records it; nothing is copied",
    input: z.object({ path: z.string().min(1), name: z.string().min(1).max(200).optional() }).strict(),
    output: returns<ModelSummary>(),
  }),
  'models.list': method({
    role: 'researcher',
    summary: 'The imported language models',
    input: z.object({}).strict(),
    output: returns<ModelSummary[]>(),
  }),
  'models.generate': method({
    role: 'researcher',
    summary:
      "One generation from an imported model, greedy or sampled, plain or steered (a vector file, a named vector, or an SAE feature clamp); tokens come as 'generate.step' events while it runs",
    input: z
      .object({
        model: z.string().min(1),
        prompt: z.string().max(1_000_000),
        /** through the model's chat template (one user message, generation prompt added) */
        chat: z.boolean().default(false),
        steer: z
          .object({
            /** a .npy/.safetensors file, or `vector`: a vector stored with `sightline vector import` (exactly one) */
            vectorFile: z.string().min(1).optional(),
            vector: z.string().min(1).optional(),
            /** clamp: an imported SAE and its feature, instead of a vector */
            sae: z.string().min(1).optional(),
            feature: z.number().int().min(0).optional(),
            layer: z.number().int().min(0),
            method: steerMethod.default('add'),
            /** add: k in h += k*v; cap: c in h.v <= c; clamp: the value c; none for ablate */
            k: z.number().finite().optional(),
            positions: steerPositions.default('prompt'),
          })
          .strict()
          .refine(
            (steer) =>
              steer.method === 'clamp'
                ? steer.sae !== undefined && steer.feature !== undefined && !steer.vector && !steer.vectorFile
                : steer.sae === undefined &&
                  steer.feature === undefined &&
                  (steer.vectorFile === undefined) !== (steer.vector === undefined),
            { message: 'steer: give exactly one of vectorFile and vector, or (method clamp) sae and feature' },
          )
          .optional(),
        sampling: samplingInput.optional(),
        tokens: z.number().int().min(1).max(100_000),
        stopAtEos: z.boolean().default(false),
        provider: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
        precision: z.enum(PRECISIONS).default('fp32'),
        stream: z.string().max(200).optional(),
        /** LLaVA-NeXT: an image file (PNG, JPEG or WebP) for the prompt's <image> (placed in front when absent) */
        image: z.string().min(1).optional(),
      })
      .strict(),
    output: returns<GenerateOutput>(),
  }),
};
