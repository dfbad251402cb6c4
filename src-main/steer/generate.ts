// One generation (`sightline generate`, models.generate): the prompt tokenised here (plain, or through
// the chat template), the decoding in the engine worker (session.run blocks its thread), each token
// reported as it comes, and the full spec of what ran returned with the ids and the text.
import path from 'node:path';
import type { GenerateOutput, GenerationSpec, Precision } from '../contract/models';
import { EngineClient } from '../engine/client';
import { readSteeringVector } from '../engine/lm/vector-file';
import { checkSteerLayer, type Steer, type SteerPositions } from '../engine/lm/steering';
import { loadLmTokenizer, type LmTokenizer } from '../engine/lm/tokenizer';
import type { ProviderPreference } from '../engine/session';
import { checkModelFiles, getModelByName } from '../importers/model-import';
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
  /** default fp32 */
  precision?: Precision;
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

export async function generateOnce(
  project: Project,
  options: GenerateOptions,
  onToken?: OnToken,
): Promise<GenerateOutput> {
  const model = getModelByName(project, options.model);
  await checkModelFiles(project, model);
  const tokenizer = loadLmTokenizer(model.path);
  const promptIds = promptIdsOf(tokenizer, options.prompt, options.chat);
  if (promptIds.length === 0)
    throw new AppError('invalid_input', 'the prompt has no tokens (an empty prompt and a tokenizer that adds no BOS)');

  let steer: Steer | undefined;
  let vector: GenerationSpec['vector'] = null;
  let k: number | null = null;
  if (options.steer) {
    const s = options.steer;
    checkSteerLayer(s.layer, model.nLayers);
    if (s.method !== 'ablate' && s.k === undefined)
      throw new AppError('invalid_input', `--k is required with --method ${s.method}`);
    if (Array.isArray(s.positions) && s.positions.some((p) => p >= promptIds.length + options.tokens)) {
      throw new AppError(
        'invalid_input',
        `--positions: every index must be below ${promptIds.length + options.tokens} (prompt ${promptIds.length} + ${options.tokens} tokens)`,
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
      if (s.vectorFile === undefined)
        throw new AppError('invalid_input', 'steer: give a vector file or a named vector');
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
  }

  const client = EngineClient.start();
  try {
    const loaded = await client.loadLm({
      folder: model.path,
      providers: options.provider,
      precision: options.precision ?? 'fp32',
      cache: lmCacheOf(project, model),
    });
    let shown = '';
    const sofar: number[] = [];
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
        sofar.push(token);
        // Decoding the whole text each time keeps multi-token characters and the tokenizer's spacing
        // rules right; the piece shown is what the new token added.
        const text = tokenizer.decode(sofar);
        const piece = text.startsWith(shown) ? text.slice(shown.length) : text;
        shown = text;
        onToken?.(event.step, token, piece);
      },
    );
    const generatedIds = result.generated[0];
    const spec: GenerationSpec = {
      model: { name: model.name, sha256: model.sha256 },
      chat: options.chat,
      method: options.steer?.method ?? 'none',
      layer: options.steer?.layer ?? null,
      positions: options.steer
        ? Array.isArray(options.steer.positions)
          ? [...options.steer.positions]
          : (options.steer.positions as 'prompt' | 'generated' | 'all')
        : null,
      k,
      vector,
      precision: loaded.precision,
      decoding: { kind: 'greedy', tokens: options.tokens, stopAtEos: options.stopAtEos },
      ortVersion: loaded.ortVersion,
      provider: result.provider,
      providerReason: loaded.provider.reason,
    };
    return { promptIds, generatedIds, text: tokenizer.decode(generatedIds), spec };
  } finally {
    await client.close();
  }
}
