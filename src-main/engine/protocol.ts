// The typed message protocol between the main thread (client.ts) and the engine worker (worker.ts).
// One handler map is the source of both sides' types; the client derives its calls from it.
import type { ErrorValue } from '../util/errors.js';
import type { LoadSaeOptions } from './formats/options.js';
import type { SaeArchitecture, SaeNormalisation, SaeWeights, SourceFile, SaeFormat } from './sae-model.js';
import type { ProviderPreference, ProviderReport } from './session.js';
import type { LmConfig } from './lm/config.js';
import type { AnyresPixels } from './vision/preprocess.js';
import type { DecodeStep, Generation } from './lm/decode.js';
import type { DecodeLoop } from './lm/decode-loop.js';
import type { SamplingOptions } from './lm/sampling.js';
import type { Steer } from './lm/steering.js';
import type { SafetensorInfo } from './formats/safetensors.js';
import type { Precision } from './lm/weight-cache.js';
import type { DecoderCosineRanking } from './decoder-cosines.js';

export type SaeSource =
  | { kind: 'weights'; weights: SaeWeights }
  | { kind: 'path'; path: string; options?: LoadSaeOptions };

export interface LoadSaeArgs {
  source: SaeSource;
  providers?: ProviderPreference;
  /** use ONNX external data for W_enc when possible (default true) */
  externalData?: boolean;
  /** ORT intra-op threads (default: all cores) */
  intraOpNumThreads?: number;
  /**
   * Read from a path only what the encoder needs in memory (SAELens: no W_dec, and no W_enc when ORT
   * reads it from the file), skipping their NaN/Inf scan. For callers that vouch for the values:
   * mine does, since import validated them and it compares the sha256 computed here with import's.
   */
  encoderOnly?: boolean;
}

export interface LoadedSae {
  saeId: string;
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  k?: number;
  normalizeActivations: SaeNormalisation;
  inputScale?: number;
  hookPoint?: string;
  layer?: number;
  source: { format: SaeFormat; files: SourceFile[] };
  provider: ProviderReport;
  /** true when W_enc is read by ORT straight from the original file */
  externalData: boolean;
  /** true when encodeBatch returns `counts`, every firing (ReLU, JumpReLU, gated; a TopK SAE's are all in its top k) */
  countsAllFirings: boolean;
}

export interface EncodeBatchArgs {
  saeId: string;
  /** [n, dIn] row-major; its buffer is transferred to the worker */
  x: Float32Array;
  n: number;
  topK: number;
  /** [n]: 1 for an image row, 0 otherwise; splits `counts` (all text rows when absent) */
  image?: Float32Array;
}

export interface EncodeBatchResult {
  /** [n, k] activations, largest first per row */
  values: Float32Array;
  /** [n, k] feature ids (the graph emits int64; narrowed to int32 since d_sae < 2^31) */
  indices: Int32Array;
  n: number;
  /** K actually used: min(topK, dSae) */
  k: number;
  /**
   * [2, dSae]: every firing of each feature in the batch, over all rows then over image rows, K or
   * not (ReLU, JumpReLU and gated SAEs); absent for TopK SAEs, whose firings are all in values.
   */
  counts?: Float32Array;
  provider: ProviderReport['provider'];
}

export interface EncodeSelectedArgs {
  saeId: string;
  /** [n, dIn] row-major; transferred */
  x: Float32Array;
  n: number;
  /** feature ids whose activations to return */
  features: Int32Array;
  /** release the top-k encoder session first (mining is done with it): its memory is freed */
  releaseEncoder?: boolean;
}

export interface EncodeSelectedResult {
  /** [n, features.length] activations */
  acts: Float32Array;
  n: number;
  f: number;
}

export interface DecoderCosinesArgs {
  /** the SAE's files, read in the worker (its decoder, and its files' sha256 for the caller to check) */
  source: { path: string; options?: LoadSaeOptions };
  /** [dIn] */
  vector: Float32Array;
  /** how many features to return at each end */
  count: number;
}

export interface DecoderCosinesResult extends DecoderCosineRanking {
  dIn: number;
  dSae: number;
  files: SourceFile[];
}

export interface LoadLmArgs {
  /** a Hugging Face model folder (config.json + safetensors), read in the worker */
  folder: string;
  providers?: ProviderPreference;
  intraOpNumThreads?: number;
  /** weights precision (default fp32); anything but fp32 needs `cache` */
  precision?: Precision;
  /**
   * Where the rewritten weights live (the project's cache/ folder) and the source model's sha256 that
   * keys them. Without it, fp32 weights are held in the graph itself, up to `externalAbove` bytes.
   */
  cache?: { folder: string; sourceSha256: string };
  /** fp32 weights above this many bytes go to the cache as external data (default 1 GiB; protobuf caps at 2 GB) */
  externalAbove?: number;
  /** MatMulNBits accuracy_level for int8/int4 (default 0: fp32 arithmetic on the dequantised blocks) */
  accuracyLevel?: 0 | 4;
  /**
   * Build a capture session instead (`sightline capture`): no steer inputs, the residual stream
   * entering each of these blocks as rows (lm-decoder.ts captureReduce 'rows'). Only captureHidden
   * uses such a session.
   */
  captureLayers?: number[];
  /**
   * What a capture session takes: token ids (default) or input embeddings, for documents whose
   * embeddings are built outside the decoder (LLaVA-NeXT: text embeddings with the packed image
   * features spliced in at `<image>`).
   */
  captureInput?: 'ids' | 'embeds';
}

export interface CaptureHiddenArgs {
  lmId: string;
  /** token ids per document (an 'ids' session); one prefill over the batch (left-padded) */
  prompts?: number[][];
  /** per document its input embeddings [length, d_model] row-major (an 'embeds' session) */
  embeds?: Float32Array[];
  /**
   * LLaVA-NeXT (an 'embeds' session, with `prompts`): per document its preprocessed image, or null for
   * a text document. The worker runs the vision tower, packs the features into the prompt's expanded
   * <image> positions and embeds the other tokens (capture --images).
   */
  images?: (AnyresPixels | null)[];
}

export interface CaptureHiddenResult {
  /** the captured layers, ascending */
  layers: number[];
  /**
   * per layer, [sum of prompt lengths, d_model] row-major: each prompt's positions in order, prompts
   * in batch order (padding excluded); buffers transferred
   */
  hidden: Float32Array[];
}

export interface LoadedLm {
  lmId: string;
  config: LmConfig;
  /** the dtype the weights are stored in; the graph computes in fp32 */
  dtype: SafetensorInfo['dtype'];
  files: { path: string; size: number }[];
  /** layers the session accepts steers at (every layer) */
  steerLayers: number[];
  precision: Precision;
  /** where the weights came from: the graph itself, a cache entry written now, or one reused */
  weights: 'in-graph' | 'cache-written' | 'cache-reused';
  provider: ProviderReport;
  /** onnxruntime-node's version, for the generation's spec */
  ortVersion: string;
}

export interface GenerateArgs {
  lmId: string;
  /** token ids per row (a batch: several prompts, or one prompt with several steers) */
  prompts: number[][];
  /** per row, its steers (default none) */
  steers?: Steer[][];
  /**
   * LLaVA-NeXT: per row, its preprocessed image (undefined: text only); the row's prompt holds the
   * <image> token already expanded to the image's positions (vision/pack.ts expandImageTokens)
   */
  images?: (AnyresPixels | undefined)[];
  /** exactly this many tokens per row unless stopAtEos */
  tokens: number;
  stopAtEos?: boolean;
  /** temperature / top-p with a seed (every row its own stream from it); greedy when absent */
  sampling?: SamplingOptions;
  /** also measure each row's KL(steered || unsteered) at the first generated token (lm/strength.ts) */
  strength?: boolean;
  /** which decode loop; default 'auto' (lm/decode-loop.ts chooseDecodeLoop: the graph's on CUDA when greedy) */
  loop?: DecodeLoop | 'auto';
  /**
   * A flag over a SharedArrayBuffer: the caller stores 1 in element 0 to stop after the current step.
   * Shared memory, because session.run keeps the worker busy and a cancel message would wait behind it.
   */
  stopFlag?: Int32Array;
}

export interface GenerateResult extends Pick<Generation, 'kl' | 'klBaseline'> {
  /** per row, the generated ids */
  generated: number[][];
  provider: ProviderReport['provider'];
  /** the decode loop that ran */
  loop: DecodeLoop;
  /** true when stopFlag ended the decoding before every row was done */
  stopped?: boolean;
}

/** Streamed while `generate` runs: one message per decoding step. */
export type GenerateEvent = DecodeStep;

export interface LmHandlers {
  loadLm(args: LoadLmArgs): Promise<LoadedLm>;
  /** `emit` receives each step's tokens (GenerateEvent) as they are chosen */
  generate(args: GenerateArgs, emit?: (event: GenerateEvent) => void): Promise<GenerateResult>;
  disposeLm(args: { lmId: string }): Promise<{ disposed: boolean }>;
  /** the residual stream at the capture session's layers for every position of every prompt */
  captureHidden(args: CaptureHiddenArgs): Promise<CaptureHiddenResult>;
}

export interface EngineHandlers extends LmHandlers {
  loadSae(args: LoadSaeArgs): Promise<LoadedSae>;
  encodeBatch(args: EncodeBatchArgs): Promise<EncodeBatchResult>;
  encodeSelected(args: EncodeSelectedArgs): Promise<EncodeSelectedResult>;
  dispose(args: { saeId: string }): Promise<{ disposed: boolean }>;
  /** an SAE's decoder rows ranked by cosine with a vector (vectors.features) */
  decoderCosines(args: DecoderCosinesArgs): Promise<DecoderCosinesResult>;
}

export type EngineMethod = keyof EngineHandlers;
export type EngineArgs<M extends EngineMethod> = Parameters<EngineHandlers[M]>[0];
export type EngineResult<M extends EngineMethod> = Awaited<ReturnType<EngineHandlers[M]>>;

export interface EngineRequest<M extends EngineMethod = EngineMethod> {
  id: number;
  method: M;
  args: EngineArgs<M>;
}

/** A request's final answer, or (`event`) something it streams before that answer. */
export type EngineResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: ErrorValue }
  | { id: number; event: unknown };

/** Distinct ArrayBuffers under a value, for a postMessage transfer list (duplicates would throw). */
export function transferablesOf(...arrays: (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const a of arrays) if (a && a.buffer instanceof ArrayBuffer && a.buffer.byteLength > 0) seen.add(a.buffer);
  return [...seen];
}

export function weightArrays(w: SaeWeights): Float32Array[] {
  return [w.W_enc, w.b_enc, w.W_dec, w.b_dec, w.threshold, w.b_gate, w.b_mag, w.r_mag].filter(
    (a): a is Float32Array => a !== undefined,
  );
}
