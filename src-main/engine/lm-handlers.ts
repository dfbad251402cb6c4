// The engine's language-model work (issue 13), served by the worker next to the SAE encoders: load a
// Hugging Face folder into a decoder session, generate (streaming each step as an event), dispose.
// Token ids in, token ids out: tokenising stays on the caller's side, where it is cheap.
import { randomUUID } from 'node:crypto';
import { AppError } from '../util/errors.js';
import { buildDecoderModel } from './graph/lm-decoder.js';
import type { DecoderSession } from './lm/decode.js';
import { openLmFolder, readLmWeights } from './lm/folder.js';
import { streamGreedy } from './lm/stream.js';
import type { GenerateArgs, GenerateEvent, GenerateResult, LmHandlers, LoadedLm } from './protocol.js';
import { createSession, ort, type ProviderReport } from './session.js';

interface LoadedDecoder {
  ds: DecoderSession;
  report: ProviderReport;
}

export function createLmHandlers(): LmHandlers & { disposeAllLms(): Promise<void> } {
  const decoders = new Map<string, LoadedDecoder>();

  return {
    async loadLm({ folder, providers, intraOpNumThreads }) {
      const opened = openLmFolder(folder);
      // Every layer steerable (the steer inputs are [B, d_model] and [B, S] per layer: negligible),
      // with the projection inputs, so one session serves every method and layer a caller asks for.
      const model = buildDecoderModel(readLmWeights(opened), { projection: true });
      const { session, report } = await createSession(model.bytes, {
        providers,
        ...(intraOpNumThreads !== undefined ? { intraOpNumThreads } : {}),
      });
      const lmId = randomUUID();
      decoders.set(lmId, { ds: { session, model }, report });
      const loaded: LoadedLm = {
        lmId,
        config: opened.config,
        dtype: opened.dtype,
        files: opened.files,
        steerLayers: model.steerLayers,
        provider: report,
        ortVersion: ort.env.versions.node ?? ort.env.versions.common,
      };
      return loaded;
    },

    async generate(args: GenerateArgs, emit?: (event: GenerateEvent) => void): Promise<GenerateResult> {
      const d = decoders.get(args.lmId);
      if (!d) throw new AppError('not_found', `language model ${args.lmId} is not loaded in the engine`);
      const flag = args.stopFlag;
      let stopped = false;
      const stopRequested = flag ? () => (stopped = Atomics.load(flag, 0) !== 0) : undefined;
      const generated = await streamGreedy(
        d.ds,
        {
          prompts: args.prompts,
          tokens: args.tokens,
          ...(args.steers ? { steers: args.steers } : {}),
          ...(args.stopAtEos ? { stopAtEos: true } : {}),
        },
        emit,
        stopRequested,
      );
      return { generated, provider: d.report.provider, ...(stopped ? { stopped: true } : {}) };
    },

    async disposeLm({ lmId }) {
      const d = decoders.get(lmId);
      if (!d) return { disposed: false };
      decoders.delete(lmId);
      await d.ds.session.release();
      return { disposed: true };
    },

    async disposeAllLms() {
      for (const id of [...decoders.keys()]) await this.disposeLm({ lmId: id });
    },
  };
}
