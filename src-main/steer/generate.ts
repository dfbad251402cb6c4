// One generation (`sightline generate`, models.generate): the prompt tokenised here (plain, or through
// the chat template), the decoding in the engine worker (session.run blocks its thread), each token
// reported as it comes, and the full spec of what ran returned with the ids and the text.
import type { GenerateOutput, GenerationSpec } from '../contract/models';
import { EngineClient } from '../engine/client';
import type { LoadedLm } from '../engine/protocol';
import { readSteeringVector } from '../engine/lm/vector-file';
import { checkSteerLayer, type Steer, type SteerPositions } from '../engine/lm/steering';
import { loadLmTokenizer, type LmTokenizer } from '../engine/lm/tokenizer';
import type { ProviderPreference } from '../engine/session';
import { checkModelFiles, getModelByName, type ModelRecord } from '../importers/model-import';
import type { Project } from '../project/project';
import { AppError } from '../util/errors';
import { vectorForModel } from './vectors';

export interface GenerateOptions {
  model: string;
  prompt: string;
  chat: boolean;
  steer?: {
    vectorFile?: string | undefined;
    vector?: string | undefined;
    layer: number;
    method: 'add' | 'ablate' | 'cap';
    k?: number | undefined;
    positions: SteerPositions;
  };
  tokens: number;
  stopAtEos: boolean;
  provider: ProviderPreference;
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
  steer: Steer;
  vector: GenerationSpec['vector'];
  /** add: the scale of v; cap: the cap; ablate: null */
  k: number | null;
}

/** The engine's steer for a request: its layer checked, its vector read (file or stored) and scaled. */
export async function steerFor(
  project: Project,
  model: ModelRecord,
  s: NonNullable<GenerateOptions['steer']>,
  lengths: { prompt: number; tokens: number },
): Promise<ResolvedSteer> {
  let steer: Steer;
  let vector: GenerationSpec['vector'] = null;
  let k: number | null = null;
  checkSteerLayer(s.layer, model.nLayers);
  if (s.method !== 'ablate' && s.k === undefined)
    throw new AppError('invalid_input', `--k is required with --method ${s.method}`);
  const length = lengths.prompt + lengths.tokens;
  if (Array.isArray(s.positions) && s.positions.some((p) => p >= length)) {
    throw new AppError(
      'invalid_input',
      `--positions: every index must be below ${length} (prompt ${lengths.prompt} + ${lengths.tokens} tokens)`,
    );
  }
  let values: Float32Array;
  let source: string;
  if (s.vector !== undefined) {
    const stored = vectorForModel(project, s.vector, model);
    values = stored.values;
    source = `vector "${stored.name}"`;
    vector = { name: stored.name, sha256: stored.sha256 };
  } else {
    if (s.vectorFile === undefined) throw new AppError('invalid_input', 'steer: give a vector file or a named vector');
    const file = await readSteeringVector(s.vectorFile, model.dModel);
    values = file.values;
    source = s.vectorFile;
    vector = { file: s.vectorFile, sha256: file.sha256 };
  }
  if (s.method === 'add') {
    k = s.k!;
    steer = { method: 'add', layer: s.layer, delta: values.map((x) => k! * x), positions: s.positions };
  } else {
    // Ablation and the cap act along the unit direction of v.
    const norm = Math.hypot(...values);
    if (!(norm > 0))
      throw new AppError(
        'invalid_input',
        `${source}: a zero vector has no direction to ${s.method === 'ablate' ? 'ablate' : 'cap'}`,
      );
    k = s.method === 'cap' ? s.k! : null;
    steer = {
      method: s.method,
      layer: s.layer,
      direction: values.map((x) => x / norm),
      positions: s.positions,
      ...(s.method === 'cap' ? { cap: s.k! } : {}),
    };
  }
  return { steer, vector, k };
}

export interface PreparedGeneration {
  model: ModelRecord;
  tokenizer: LmTokenizer;
  promptIds: number[];
  steer: Steer | undefined;
  vector: GenerationSpec['vector'];
  k: number | null;
}

/** Everything before decoding: the model's files checked, the prompt tokenised, the steer built. */
export async function prepareGeneration(project: Project, options: GenerateOptions): Promise<PreparedGeneration> {
  const model = getModelByName(project, options.model);
  await checkModelFiles(project, model);
  const tokenizer = loadLmTokenizer(model.path);
  const promptIds = promptIdsOf(tokenizer, options.prompt, options.chat);
  if (promptIds.length === 0)
    throw new AppError('invalid_input', 'the prompt has no tokens (an empty prompt and a tokenizer that adds no BOS)');
  const resolved = options.steer
    ? await steerFor(project, model, options.steer, { prompt: promptIds.length, tokens: options.tokens })
    : { steer: undefined, vector: null, k: null };
  return { model, tokenizer, promptIds, ...resolved };
}

/** The spec of a generation `prepared` from `options`, run on `loaded`'s session. */
export function generationSpecOf(
  options: GenerateOptions,
  prepared: PreparedGeneration,
  loaded: LoadedLm,
  provider: GenerationSpec['provider'],
): GenerationSpec {
  const steer = options.steer;
  return {
    model: { name: prepared.model.name, sha256: prepared.model.sha256 },
    chat: options.chat,
    method: steer?.method ?? 'none',
    layer: steer?.layer ?? null,
    positions: steer
      ? Array.isArray(steer.positions)
        ? [...steer.positions]
        : (steer.positions as 'prompt' | 'generated' | 'all')
      : null,
    k: prepared.k,
    vector: prepared.vector,
    precision: 'fp32',
    decoding: { kind: 'greedy', tokens: options.tokens, stopAtEos: options.stopAtEos },
    ortVersion: loaded.ortVersion,
    provider,
    providerReason: loaded.provider.reason,
  };
}

export async function generateOnce(
  project: Project,
  options: GenerateOptions,
  onToken?: OnToken,
): Promise<GenerateOutput> {
  const prepared = await prepareGeneration(project, options);
  const { model, tokenizer, promptIds, steer } = prepared;

  const client = EngineClient.start();
  try {
    const loaded = await client.loadLm({ folder: model.path, providers: options.provider });
    const pieceOf = textPieces(tokenizer);
    const result = await client.generate(
      {
        lmId: loaded.lmId,
        prompts: [promptIds],
        tokens: options.tokens,
        ...(steer ? { steers: [[steer]] } : {}),
        ...(options.stopAtEos ? { stopAtEos: true } : {}),
      },
      (event) => {
        const token = event.tokens[0];
        if (token === null || token === undefined) return;
        onToken?.(event.step, token, pieceOf(token));
      },
    );
    const generatedIds = result.generated[0];
    const spec = generationSpecOf(options, prepared, loaded, result.provider);
    return { promptIds, generatedIds, text: tokenizer.decode(generatedIds), spec };
  } finally {
    await client.close();
  }
}
