// One generation (`sightline generate`, models.generate): the prompt tokenised here (plain, or through
// the chat template), the decoding in the engine worker (session.run blocks its thread), each token
// reported as it comes, and the full spec of what ran returned with the ids and the text.
import crypto from 'node:crypto';
import type { GenerateOutput, GenerationSpec } from '../contract/models';
import { EngineClient } from '../engine/client';
import { readSteeringVector } from '../engine/lm/vector-file';
import { checkSteerLayer, type Steer, type SteerPositions } from '../engine/lm/steering';
import { loadLmTokenizer, type LmTokenizer } from '../engine/lm/tokenizer';
import type { ProviderPreference } from '../engine/session';
import { checkModelFiles, getModelByName } from '../importers/model-import';
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
  let sae: GenerationSpec['sae'] = null;
  const s = options.steer;
  if (s) {
    checkSteerLayer(s.layer, model.nLayers);
    if (Array.isArray(s.positions) && s.positions.some((p) => p >= promptIds.length + options.tokens)) {
      throw new AppError(
        'invalid_input',
        `--positions: every index must be below ${promptIds.length + options.tokens} (prompt ${promptIds.length} + ${options.tokens} tokens)`,
      );
    }
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
    steer = buildSteer(s.method, basis, s.layer, s.positions, s.k ?? null);
  }
  // An absent seed is chosen here, so that every sampled generation can be replayed from its spec.
  const sampling = resolveSampling(options.sampling, () => crypto.randomInt(0, 2 ** 32));

  const client = EngineClient.start();
  try {
    const loaded = await client.loadLm({ folder: model.path, providers: options.provider });
    let shown = '';
    const sofar: number[] = [];
    const result = await client.generate(
      {
        lmId: loaded.lmId,
        prompts: [promptIds],
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
      method: s?.method ?? 'none',
      layer: s?.layer ?? null,
      positions: s
        ? Array.isArray(s.positions)
          ? [...s.positions]
          : (s.positions as 'prompt' | 'generated' | 'all')
        : null,
      k: s && s.method !== 'ablate' ? s.k! : null,
      vector,
      sae,
      precision: 'fp32',
      decoding: sampling
        ? { kind: 'sample', ...sampling, tokens: options.tokens, stopAtEos: options.stopAtEos }
        : { kind: 'greedy', tokens: options.tokens, stopAtEos: options.stopAtEos },
      loop: result.loop,
      ortVersion: loaded.ortVersion,
      provider: result.provider,
      providerReason: loaded.provider.reason,
    };
    return {
      promptIds,
      generatedIds,
      text: tokenizer.decode(generatedIds),
      spec,
      // An add steer with k = 0 decodes unsteered (steer-build.ts), so there is no row to measure: 0.
      kl: s ? (result.kl?.[0] ?? 0) : null,
    };
  } finally {
    await client.close();
  }
}
