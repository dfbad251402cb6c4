// Interactive steered generation for the Steer page (issue 13): the steered prompt and its unsteered
// (k = 0) twin decode as ONE batch of two identical rows (no padding, and every row its own sampling
// stream from the one seed, so each row is what a lone `generate` with that seed gives; the twin is
// also the baseline of the steered row's KL strength), in the process's long-lived engine, so the next request on the same model starts
// decoding at once. Each step reaches the caller as both rows' tokens and text; steer.cancel raises a
// flag in shared memory that the worker reads between steps.
import type { SteerEngineStatus, SteerGenerateOutput, SteerStepEvent } from '../contract/steer';
import { LmPool } from '../engine/lm-pool';
import { listModelRecords } from '../importers/model-import';
import type { Project } from '../project/project';
import { AppError } from '../util/errors';
import { systemClock } from '../util/time';
import { type GenerateOptions, generationSpecOf, lmCacheOf, prepareGeneration, textPieces } from './generate';
import type { SamplingRequest, SteerMethod } from './steer-build';

/** The process's one long-lived engine for interactive generation (the HTTP server's, the shell's). */
let liveEngine = new LmPool({ clock: systemClock });

/** Replaces the long-lived engine (tests give one on their own clock); the old one is closed. */
export async function replaceLiveEngine(pool: LmPool): Promise<void> {
  const old = liveEngine;
  liveEngine = pool;
  await old.close();
}

export interface SideBySideRequest {
  model: string;
  prompt: string;
  chat: boolean;
  vector?: string | undefined;
  sae?: string | undefined;
  feature?: number | undefined;
  layer: number;
  method: SteerMethod;
  k?: number | undefined;
  sampling?: SamplingRequest | undefined;
  positions: NonNullable<GenerateOptions['steer']>['positions'];
  tokens: number;
  stopAtEos: boolean;
  provider: GenerateOptions['provider'];
  stream: string;
  /** LLaVA-NeXT: an image file for the prompt's <image> (both rows see it) */
  image?: string | undefined;
}

/** Stop flags of the generations running now, by project and stream tag. */
const running = new Map<string, Int32Array>();
const runningKey = (project: Project, stream: string) => `${project.dir}#${stream}`;

export async function generateSideBySide(
  project: Project,
  request: SideBySideRequest,
  onStep: (event: SteerStepEvent) => void,
): Promise<SteerGenerateOutput> {
  const options: GenerateOptions = {
    model: request.model,
    prompt: request.prompt,
    chat: request.chat,
    steer: {
      vector: request.vector,
      sae: request.sae,
      feature: request.feature,
      layer: request.layer,
      method: request.method,
      k: request.k,
      positions: request.positions,
    },
    sampling: request.sampling,
    tokens: request.tokens,
    stopAtEos: request.stopAtEos,
    provider: request.provider,
    ...(request.image !== undefined ? { image: request.image } : {}),
  };
  const key = runningKey(project, request.stream);
  if (running.has(key))
    throw new AppError('conflict', `stream "${request.stream}": a generation with this tag is still running`);
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  running.set(key, stopFlag);
  try {
    const prepared = await prepareGeneration(project, options);
    const { model, tokenizer, promptIds, steer, sampling } = prepared;
    const pieces = [textPieces(tokenizer), textPieces(tokenizer)];
    return await liveEngine.use(
      { modelSha256: model.sha256, precision: 'fp32', steerLayers: 'all', providers: request.provider },
      { folder: model.path, providers: request.provider, cache: lmCacheOf(project, model) },
      async ({ client, loaded, loadedNow }) => {
        const result = await client.generate(
          {
            lmId: loaded.lmId,
            prompts: [promptIds, promptIds],
            // one pixels object for both rows: the engine runs the vision tower once
            ...(prepared.image ? { images: [prepared.image.pixels, prepared.image.pixels] } : {}),
            steers: [[], steer ? [steer] : []],
            tokens: request.tokens,
            ...(request.stopAtEos ? { stopAtEos: true } : {}),
            ...(sampling ? { sampling } : {}),
            // The KL of the steered row against row 0, measured in the same prefill (no extra pass).
            strength: true,
            stopFlag,
            // The worker's loop, on CUDA too: the page streams token by token and Stop acts between
            // steps; the in-graph loop would answer only at the end.
            loop: 'worker',
          },
          (event) => {
            const [baseline, steered] = event.tokens.map((token, row) =>
              token === null || token === undefined ? null : { token, text: pieces[row](token) },
            );
            onStep({ stream: request.stream, step: event.step, baseline: baseline ?? null, steered: steered ?? null });
          },
        );
        const [baselineIds, steeredIds] = result.generated;
        return {
          promptIds,
          baseline: { ids: baselineIds, text: tokenizer.decode(baselineIds) },
          steered: { ids: steeredIds, text: tokenizer.decode(steeredIds) },
          stopped: result.stopped === true,
          spec: generationSpecOf(options, prepared, loaded, result),
          loadedNow,
          kl: result.kl?.[1] ?? 0,
          ...(prepared.image ? { imagePositions: prepared.image.positions } : {}),
        };
      },
    );
  } finally {
    running.delete(key);
  }
}

/** Asks the generation tagged `stream` to stop after its current step; false when none is running. */
export function cancelSideBySide(project: Project, stream: string): boolean {
  const flag = running.get(runningKey(project, stream));
  if (!flag) return false;
  Atomics.store(flag, 0, 1);
  return true;
}

export function liveEngineStatus(project: Project): SteerEngineStatus {
  const { loads, evictions, held } = liveEngine.stats();
  const model = held ? listModelRecords(project).find((m) => m.sha256 === held.modelSha256) : undefined;
  return { loads, evictions, held: held ? { modelSha256: held.modelSha256, model: model?.name ?? null } : null };
}
