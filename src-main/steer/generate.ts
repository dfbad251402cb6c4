// One generation (`sightline generate`, models.generate): the prompt tokenised here (plain, or through
// the chat template), the decoding in the engine worker (session.run blocks its thread), each token
// reported as it comes, and the full spec of what ran returned with the ids and the text.
import crypto from 'node:crypto';
import path from 'node:path';
import type { GenerateOutput, GenerationSpec, Precision } from '../contract/models';
import { EngineClient } from '../engine/client';
import type { LoadedLm } from '../engine/protocol';
import { readSteeringVector } from '../engine/lm/vector-file';
import { checkSteerLayer, type Steer, type SteerPositions } from '../engine/lm/steering';
import { loadLmTokenizer, type LmTokenizer } from '../engine/lm/tokenizer';
import type { ProviderPreference } from '../engine/session';
import { checkModelFiles, getModelByName, type ModelRecord } from '../importers/model-import';
import type { Project } from '../project/project';
import { AppError } from '../util/errors';
import {
  buildSteer,
  checkSteerRequest,
  resolveSampling,
  type SamplingRequest,
  type SteerBasis,
  type SteerMethod,
} from './steer-build';
import { expandImagePrompt, type ImagePrompt, readImagePrompt, withImagePlaceholder } from './image-prompt';
import { saeFeatureForModel, vectorForModel } from './vectors';

export interface GenerateOptions {
  model: string;
  prompt: string;
  chat: boolean;
  steer?: {
    vectorFile?: string | undefined;
    vector?: string | undefined;
    /** clamp: the imported SAE and its feature */
    sae?: string | undefined;
    feature?: number | undefined;
    layer: number;
    method: SteerMethod;
    k?: number | undefined;
    positions: SteerPositions;
  };
  /** temperature / top-p; a seed is chosen when absent (and recorded in the spec) */
  sampling?: SamplingRequest | undefined;
  tokens: number;
  stopAtEos: boolean;
  provider: ProviderPreference;
  /** default fp32 */
  precision?: Precision;
  /** LLaVA-NeXT: an image file (PNG, JPEG or WebP) for the prompt's <image>, placed in front when the prompt has none */
  image?: string | undefined;
}

/** Where the engine keeps a model's rewritten weights (fp16, int8, int4, external fp32): <project>/cache. */
export function lmCacheOf(project: Project, model: { sha256: string }): { folder: string; sourceSha256: string } {
  return { folder: path.join(project.dir, 'cache'), sourceSha256: model.sha256 };
}

/** Called once per generated token: its id and the text it added. */
export type OnToken = (step: number, token: number, text: string) => void;

/** The prompt's ids: as is (the tokenizer adds BOS), or as one user message through the chat template. */
export function promptIdsOf(tokenizer: LmTokenizer, prompt: string, chat: boolean): number[] {
  return chat
    ? tokenizer.encodeChat([{ role: 'user', content: prompt }], { addGenerationPrompt: true })
    : tokenizer.encode(prompt);
}

/**
 * Text as tokens arrive: each call adds one token and returns the text it added. Decoding the whole
 * text each time keeps multi-token characters and the tokenizer's spacing rules right.
 */
export function textPieces(tokenizer: LmTokenizer): (token: number) => string {
  let shown = '';
  const sofar: number[] = [];
  return (token) => {
    sofar.push(token);
    const text = tokenizer.decode(sofar);
    const piece = text.startsWith(shown) ? text.slice(shown.length) : text;
    shown = text;
    return piece;
  };
}

export interface ResolvedSteer {
  /** undefined when the request decodes unsteered (add with k = 0) */
  steer: Steer | undefined;
  vector: GenerationSpec['vector'];
  sae: GenerationSpec['sae'];
}

/**
 * The engine's steer for a request: its layer and positions checked, its basis read (a vector file, a
 * stored vector, or for clamp an imported SAE's feature) and built for the method.
 */
export async function steerFor(
  project: Project,
  model: ModelRecord,
  s: NonNullable<GenerateOptions['steer']>,
  lengths: { prompt: number; tokens: number },
): Promise<ResolvedSteer> {
  checkSteerLayer(s.layer, model.nLayers);
  const length = lengths.prompt + lengths.tokens;
  if (Array.isArray(s.positions) && s.positions.some((p) => p >= length)) {
    throw new AppError(
      'invalid_input',
      `--positions: every index must be below ${length} (prompt ${lengths.prompt} + ${lengths.tokens} tokens)`,
    );
  }
  let vector: GenerationSpec['vector'] = null;
  let sae: GenerationSpec['sae'] = null;
  let basis: SteerBasis;
  if (s.method === 'clamp') {
    if (s.sae === undefined || s.feature === undefined)
      throw new AppError('invalid_input', '--method clamp needs --sae NAME --feature N');
    const feature = await saeFeatureForModel(project, { sae: s.sae, feature: s.feature }, model);
    basis = { kind: 'sae', row: feature.row };
    sae = feature.sae;
  } else if (s.vector !== undefined) {
    const stored = vectorForModel(project, s.vector, model);
    basis = { kind: 'vector', values: stored.values, label: `vector "${stored.name}"` };
    vector = { name: stored.name, sha256: stored.sha256 };
  } else {
    if (s.vectorFile === undefined)
      throw new AppError('invalid_input', 'steer: give a vector file, a named vector or (clamp) an SAE feature');
    const file = await readSteeringVector(s.vectorFile, model.dModel);
    basis = { kind: 'vector', values: file.values, label: s.vectorFile };
    vector = { file: s.vectorFile, sha256: file.sha256 };
  }
  checkSteerRequest(s.method, basis, s.k);
  return { steer: buildSteer(s.method, basis, s.layer, s.positions, s.k ?? null), vector, sae };
}

export interface PreparedGeneration {
  model: ModelRecord;
  tokenizer: LmTokenizer;
  promptIds: number[];
  steer: Steer | undefined;
  vector: GenerationSpec['vector'];
  sae: GenerationSpec['sae'];
  /** the sampling that runs, its seed chosen when the request had none; undefined for greedy */
  sampling: ReturnType<typeof resolveSampling>;
  /** the preprocessed image; promptIds then hold its <image> expanded */
  image?: ImagePrompt;
}

/** Everything before decoding: the model's files checked, the prompt tokenised, the steer built. */
export async function prepareGeneration(project: Project, options: GenerateOptions): Promise<PreparedGeneration> {
  const model = getModelByName(project, options.model);
  await checkModelFiles(project, model);
  const tokenizer = loadLmTokenizer(model.path);
  const image = options.image === undefined ? undefined : await readImagePrompt(model, options.image);
  const prompt = image ? withImagePlaceholder(options.prompt) : options.prompt;
  let promptIds = promptIdsOf(tokenizer, prompt, options.chat);
  if (image) promptIds = expandImagePrompt(tokenizer, promptIds, model, image);
  if (promptIds.length === 0)
    throw new AppError('invalid_input', 'the prompt has no tokens (an empty prompt and a tokenizer that adds no BOS)');
  const resolved = options.steer
    ? await steerFor(project, model, options.steer, { prompt: promptIds.length, tokens: options.tokens })
    : { steer: undefined, vector: null, sae: null };
  // An absent seed is chosen here, so that every sampled generation can be replayed from its spec.
  const sampling = resolveSampling(options.sampling, () => crypto.randomInt(0, 2 ** 32));
  return { model, tokenizer, promptIds, ...resolved, sampling, ...(image ? { image } : {}) };
}

/** The spec of a generation `prepared` from `options`, run on `loaded`'s session. */
export function generationSpecOf(
  options: GenerateOptions,
  prepared: PreparedGeneration,
  loaded: LoadedLm,
  ran: { provider: GenerationSpec['provider']; loop: GenerationSpec['loop'] },
): GenerationSpec {
  const s = options.steer;
  const { sampling } = prepared;
  return {
    model: { name: prepared.model.name, sha256: prepared.model.sha256 },
    chat: options.chat,
    method: s?.method ?? 'none',
    layer: s?.layer ?? null,
    positions: s
      ? Array.isArray(s.positions)
        ? [...s.positions]
        : (s.positions as 'prompt' | 'generated' | 'all')
      : null,
    k: s && s.method !== 'ablate' ? s.k! : null,
    vector: prepared.vector,
    sae: prepared.sae,
    precision: loaded.precision,
    decoding: sampling
      ? { kind: 'sample', ...sampling, tokens: options.tokens, stopAtEos: options.stopAtEos }
      : { kind: 'greedy', tokens: options.tokens, stopAtEos: options.stopAtEos },
    loop: ran.loop,
    ortVersion: loaded.ortVersion,
    provider: ran.provider,
    providerReason: loaded.provider.reason,
    ...(prepared.image
      ? { image: { file: prepared.image.file, sha256: prepared.image.sha256, positions: prepared.image.positions } }
      : {}),
  };
}

export async function generateOnce(
  project: Project,
  options: GenerateOptions,
  onToken?: OnToken,
): Promise<GenerateOutput> {
  const prepared = await prepareGeneration(project, options);
  const { model, tokenizer, promptIds, steer, sampling } = prepared;
  const s = options.steer;

  const client = EngineClient.start();
  try {
    const loaded = await client.loadLm({
      folder: model.path,
      providers: options.provider,
      precision: options.precision ?? 'fp32',
      cache: lmCacheOf(project, model),
    });
    const pieceOf = textPieces(tokenizer);
    const result = await client.generate(
      {
        lmId: loaded.lmId,
        prompts: [promptIds],
        ...(prepared.image ? { images: [prepared.image.pixels] } : {}),
        tokens: options.tokens,
        ...(steer ? { steers: [[steer]] } : {}),
        ...(options.stopAtEos ? { stopAtEos: true } : {}),
        ...(sampling ? { sampling } : {}),
        // Strength in model-relative units whenever the request steers (k = 0 included: its KL is 0).
        ...(s ? { strength: true } : {}),
      },
      (event) => {
        const token = event.tokens[0];
        if (token === null || token === undefined) return;
        onToken?.(event.step, token, pieceOf(token));
      },
    );
    const generatedIds = result.generated[0];
    const spec = generationSpecOf(options, prepared, loaded, result);
    return {
      promptIds,
      generatedIds,
      text: tokenizer.decode(generatedIds),
      spec,
      // An add steer with k = 0 decodes unsteered (steer-build.ts), so there is no row to measure: 0.
      kl: s ? (result.kl?.[0] ?? 0) : null,
      ...(prepared.image ? { imagePositions: prepared.image.positions } : {}),
    };
  } finally {
    await client.close();
  }
}
