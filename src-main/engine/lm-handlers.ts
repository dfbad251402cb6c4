// The engine's language-model work (issue 13), served by the worker next to the SAE encoders: load a
// Hugging Face folder into a decoder session, generate (streaming each step as an event), dispose.
// Token ids in, token ids out: tokenising stays on the caller's side, where it is cheap.
import { randomUUID } from 'node:crypto';
import { AppError } from '../util/errors.js';
import { type DecoderWeights, isCached } from './graph/decoder-weights.js';
import { readSafetensor } from './formats/safetensors.js';
import { buildDecoderModel } from './graph/lm-decoder.js';
import { buildGreedyLoopModel } from './graph/lm-loop.js';
import { type CaptureDocumentInput, captureRows } from './lm/capture-run.js';
import { generate, measureStrengthByPrefill, type DecoderSession, type PromptEmbeds } from './lm/decode.js';
import { chooseDecodeLoop, loopGreedyDecode, type LoopSession } from './lm/decode-loop.js';
import { type LmFolder, openLmFolder, readLmWeights } from './lm/folder.js';
import { cachedWeights, fp32Bytes, PRECISIONS, type Precision } from './lm/weight-cache.js';
import type {
  CaptureHiddenArgs,
  GenerateArgs,
  GenerateEvent,
  GenerateResult,
  LmHandlers,
  LoadedLm,
  LoadLmArgs,
} from './protocol.js';
import { imagePromptEmbeds, loadVisionSessions, type VisionSessions } from './lm-vision.js';
import { withTokenRows } from './vision/pack.js';
import { createSession, ort, type ProviderReport } from './session.js';
import type { AnyresPixels } from './vision/preprocess.js';

interface LoadedDecoder {
  ds: DecoderSession;
  report: ProviderReport;
  /** the weights the decoder session was built from (in memory, or a cache entry read as external data) */
  weights: DecoderWeights;
  /** the folder as opened: LLaVA-NeXT's vision tower reads its weights from it */
  opened: LmFolder;
  intraOpNumThreads: number | undefined;
  cache: LoadLmArgs['cache'];
  externalAbove: number;
  /** the in-graph loop's session, built on first use (only greedy decoding on CUDA needs it) */
  loop?: Promise<LoopSession>;
  /** LLaVA-NeXT's vision tower, built on the first generation or capture with an image */
  vision?: Promise<VisionSessions>;
  /** the fp32 embedding table an embeds capture session embeds token ids with, read on first use */
  embedTable?: Float32Array;
}

/** The decoder's embedding table in memory: the weights' own, or read from the folder when they are a cache entry. */
function embedTableOf(d: LoadedDecoder): Float32Array {
  d.embedTable ??= isCached(d.weights)
    ? readSafetensor(d.opened.tensors.embed.file, d.opened.tensors.embed.name)
    : d.weights.tensors.embed;
  return d.embedTable;
}

/**
 * What a capture batch feeds the session: ids, or (an embeds session) embeddings: given ones, or built
 * here from ids and, for image documents, the vision tower's packed features.
 */
async function captureInputs(d: LoadedDecoder, args: CaptureHiddenArgs): Promise<CaptureDocumentInput[]> {
  const D = d.ds.model.config.dModel;
  if (args.embeds) return args.embeds.map((e) => ({ embeds: e, length: e.length / D }));
  const prompts = args.prompts ?? [];
  if (d.ds.model.input === 'ids') {
    if (args.images?.some(Boolean))
      throw new AppError('internal', 'captureHidden: images need a session loaded with captureInput embeds');
    return prompts.map((ids) => ({ ids }));
  }
  const table = embedTableOf(d);
  const vision = args.images?.some(Boolean) ? await visionOf(d) : undefined;
  const out: CaptureDocumentInput[] = [];
  for (const [r, ids] of prompts.entries()) {
    const image = args.images?.[r];
    // An image document: the packed features at its <image> positions, token rows everywhere else.
    const imageRows = image && vision ? await imagePromptEmbeds(vision, ids, image) : undefined;
    out.push({ embeds: withTokenRows(ids, imageRows, table, D), length: ids.length });
  }
  return out;
}

/** The vision tower (its weights from the cache above the threshold), built once per loaded model. */
function visionOf(d: LoadedDecoder): Promise<VisionSessions> {
  d.vision ??= loadVisionSessions(d.opened, {
    provider: d.report.provider,
    ...(d.intraOpNumThreads !== undefined ? { intraOpNumThreads: d.intraOpNumThreads } : {}),
    ...(d.cache ? { cache: d.cache } : {}),
    externalAbove: d.externalAbove,
  });
  d.vision.catch(() => (d.vision = undefined));
  return d.vision;
}

/** The in-graph loop's session on the provider the decoder session runs on; the weights read again. */
async function loopSessionOf(d: LoadedDecoder): Promise<LoopSession> {
  d.loop ??= (async () => {
    const model = buildGreedyLoopModel(d.weights, { projection: true, clamp: true });
    const { session } = await createSession(model.bytes, {
      providers: d.report.provider,
      ...(d.intraOpNumThreads !== undefined ? { intraOpNumThreads: d.intraOpNumThreads } : {}),
      ...(model.externalDataFolder !== undefined ? { externalDataFolder: model.externalDataFolder } : {}),
    });
    return { session, model };
  })();
  return d.loop;
}

// Below protobuf's 2 GB cap with room for the graph; above it fp32 weights go to external data.
const EXTERNAL_ABOVE = 2 ** 30;

/** The weights for the graph: in memory when fp32 and small, else a cache entry (written or reused). */
export function decoderWeightsFor(
  opened: LmFolder,
  precision: Precision,
  cache: LoadLmArgs['cache'],
  externalAbove: number,
): { weights: DecoderWeights; source: LoadedLm['weights'] } {
  if (!PRECISIONS.includes(precision))
    throw new AppError('invalid_input', `precision: expected one of ${PRECISIONS.join(', ')}, got "${precision}"`);
  const external = precision !== 'fp32' || fp32Bytes(opened) > externalAbove;
  if (!external) return { weights: readLmWeights(opened), source: 'in-graph' };
  if (!cache) {
    throw new AppError(
      'invalid_input',
      precision === 'fp32'
        ? `${opened.folder}: ${fp32Bytes(opened)} bytes of fp32 weights need a cache folder for ONNX external data`
        : `precision ${precision} needs a cache folder for the rewritten weights`,
    );
  }
  const { weights, reused } = cachedWeights(opened, cache.folder, cache.sourceSha256, precision);
  return { weights, source: reused ? 'cache-reused' : 'cache-written' };
}

export function createLmHandlers(): LmHandlers & { disposeAllLms(): Promise<void> } {
  const decoders = new Map<string, LoadedDecoder>();

  return {
    async loadLm({
      folder,
      providers,
      intraOpNumThreads,
      precision = 'fp32',
      cache,
      externalAbove,
      accuracyLevel,
      captureLayers,
      captureInput,
    }) {
      const opened = openLmFolder(folder);
      const threshold = externalAbove ?? EXTERNAL_ABOVE;
      const { weights, source } = decoderWeightsFor(opened, precision, cache, threshold);
      // LLaVA-NeXT's one session takes ids and, at image positions, embeddings: image requests reuse it.
      const llava = opened.config.architecture === 'LlavaNextForConditionalGeneration';
      // Every layer steerable (the steer inputs are [B, d_model] and [B, S] per layer: negligible),
      // with the projection and SAE-clamp inputs, so one session serves every method and layer a caller
      // asks for. A capture session steers nothing and hands back only the rows of real positions
      // (padding never crosses to the host).
      const model = captureLayers
        ? buildDecoderModel(weights, {
            input: captureInput ?? 'ids',
            steerLayers: [],
            captureLayers,
            captureReduce: 'rows',
            ...(accuracyLevel !== undefined ? { accuracyLevel } : {}),
          })
        : buildDecoderModel(weights, {
            ...(llava ? { input: 'mixed' as const } : {}),
            projection: true,
            clamp: true,
            ...(accuracyLevel !== undefined ? { accuracyLevel } : {}),
          });
      const { session, report } = await createSession(model.bytes, {
        providers,
        ...(intraOpNumThreads !== undefined ? { intraOpNumThreads } : {}),
        ...(model.externalDataFolder !== undefined ? { externalDataFolder: model.externalDataFolder } : {}),
      });
      const lmId = randomUUID();
      decoders.set(lmId, {
        ds: { session, model },
        report,
        weights,
        opened,
        intraOpNumThreads,
        cache,
        externalAbove: threshold,
      });
      const loaded: LoadedLm = {
        lmId,
        config: opened.config,
        dtype: opened.dtype,
        files: opened.files,
        steerLayers: model.steerLayers,
        precision,
        weights: source,
        provider: report,
        ortVersion: ort.env.versions.node ?? ort.env.versions.common,
      };
      return loaded;
    },

    async generate(args: GenerateArgs, emit?: (event: GenerateEvent) => void): Promise<GenerateResult> {
      const d = decoders.get(args.lmId);
      if (!d) throw new AppError('not_found', `language model ${args.lmId} is not loaded in the engine`);
      const request = {
        prompts: args.prompts,
        tokens: args.tokens,
        ...(args.steers ? { steers: args.steers } : {}),
        ...(args.stopAtEos ? { stopAtEos: true } : {}),
      };
      let promptEmbeds: (PromptEmbeds | undefined)[] | undefined;
      if (args.images?.some(Boolean)) {
        const vision = await visionOf(d);
        if (d.ds.model.input !== 'mixed') throw new AppError('internal', 'images need a session loaded for generation');
        promptEmbeds = [];
        // A sweep sends one image and prompt for all of a batch's k values (one object, which the
        // message keeps as one): the vision tower runs once for them, not once per row.
        let last: { image: AnyresPixels; prompt: number[]; embeds: PromptEmbeds } | undefined;
        for (const [r, image] of args.images.entries()) {
          const prompt = args.prompts[r];
          if (!image) promptEmbeds.push(undefined);
          else if (last?.image === image && last.prompt === prompt) promptEmbeds.push(last.embeds);
          else {
            const embeds = await imagePromptEmbeds(vision, prompt, image);
            last = { image, prompt, embeds };
            promptEmbeds.push(embeds);
          }
        }
      }
      const sampled = args.sampling !== undefined && args.sampling.temperature > 0;
      // The in-graph loop reads token ids only; image rows decode in the worker loop.
      const loop = promptEmbeds
        ? 'worker'
        : chooseDecodeLoop({ provider: d.report.provider, sampled, requested: args.loop ?? 'auto' });
      if (loop === 'graph') {
        const generated = await loopGreedyDecode(await loopSessionOf(d), request);
        // The graph gives every token at the end; they are reported step by step all the same.
        const longest = Math.max(0, ...generated.map((row) => row.length));
        for (let step = 0; step < longest; step++) emit?.({ step, tokens: generated.map((row) => row[step] ?? null) });
        const strength = args.strength ? await measureStrengthByPrefill(d.ds, request) : {};
        return { generated, provider: d.report.provider, loop, ...strength };
      }
      const flag = args.stopFlag;
      let stopped = false;
      const stopRequested = flag ? () => (stopped = Atomics.load(flag, 0) !== 0) : undefined;
      const result = await generate(
        d.ds,
        {
          ...request,
          ...(promptEmbeds ? { promptEmbeds } : {}),
          ...(args.sampling ? { sampling: args.sampling } : {}),
          ...(args.strength ? { strength: true } : {}),
        },
        emit,
        stopRequested,
      );
      return {
        generated: result.tokens,
        provider: d.report.provider,
        loop,
        ...(stopped ? { stopped: true } : {}),
        ...(result.kl ? { kl: result.kl, klBaseline: result.klBaseline! } : {}),
      };
    },

    async captureHidden(args) {
      const d = decoders.get(args.lmId);
      if (!d) throw new AppError('not_found', `language model ${args.lmId} is not loaded in the engine`);
      return { layers: [...d.ds.model.captureLayers], hidden: await captureRows(d.ds, await captureInputs(d, args)) };
    },

    async disposeLm({ lmId }) {
      const d = decoders.get(lmId);
      if (!d) return { disposed: false };
      decoders.delete(lmId);
      await d.ds.session.release();
      const vision = await d.vision?.catch(() => undefined);
      if (vision) await vision.tower.release();
      return { disposed: true };
    },

    async disposeAllLms() {
      for (const id of [...decoders.keys()]) await this.disposeLm({ lmId: id });
    },
  };
}
