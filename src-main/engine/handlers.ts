// The engine's work, independent of the thread it runs on: worker.ts serves these over
// worker_threads; tests may call them in-process. Sessions run (and block) wherever this lives,
// which is why production code only ever reaches them through the worker.
import { basename } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AppError } from '../util/errors.js';
import { loadSae } from './formats/detect.js';
import { buildSaeEncoderModel } from './graph/sae-encoder.js';
import type { EngineHandlers, LoadedSae } from './protocol.js';
import type { SaeWeights } from './sae-model.js';
import { createLmHandlers } from './lm-handlers.js';
import { buildSelectedFeaturesModel } from './graph/sae-selected.js';
import { decoderRowNorms } from './reference.js';
import { rankDecoderCosines } from './decoder-cosines.js';
import { createSession, ort, type ProviderPreference, type ProviderReport, type SessionOptions } from './session.js';

interface LoadedSession {
  /** the top-k encoder; null once released for the selected-features phase */
  session: ort.InferenceSession | null;
  /** the weights without W_dec (and without W_enc when ORT reads it from the file), for the selected-features graph */
  slim: SaeWeights;
  decoderNorms?: Float32Array;
  selected?: ort.InferenceSession;
  intraOpNumThreads?: number;
  providers?: ProviderPreference;
  externalData: boolean;
  /** the encoder also counts every firing (input `image`, output `counts`) */
  counts: boolean;
  dIn: number;
  dSae: number;
  report: ProviderReport;
}

export function createEngineHandlers(): EngineHandlers & { disposeAll(): Promise<void> } {
  const lm = createLmHandlers();
  const sessions = new Map<string, LoadedSession>();
  const get = (saeId: string) => {
    const s = sessions.get(saeId);
    if (!s) throw new AppError('not_found', `SAE ${saeId} is not loaded in the engine`);
    return s;
  };

  return {
    loadLm: (args) => lm.loadLm(args),
    generate: (args, emit) => lm.generate(args, emit),
    disposeLm: (args) => lm.disposeLm(args),
    captureHidden: (args) => lm.captureHidden(args),

    async loadSae({ source, providers, externalData, intraOpNumThreads, encoderOnly }) {
      // encoderOnly: matrices the graph reads from the file itself are not loaded (see LoadSaeArgs).
      const lazy = encoderOnly === true && externalData !== false;
      const weights: SaeWeights =
        source.kind === 'weights'
          ? source.weights
          : await loadSae(source.path, { ...source.options, ...(lazy ? { encoderOnly: true } : {}) });
      // K is a graph input so one session serves every topK the caller asks for.
      const model = buildSaeEncoderModel(weights, { topK: 'input', external: externalData !== false, counts: true });
      const sessionOptions: SessionOptions = { providers, externalDataFolder: model.externalDataFolder };
      if (intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = intraOpNumThreads;
      const { session, report } = await createSession(model.bytes, sessionOptions);
      const saeId = randomUUID();
      // Keep only what the selected-features graph needs: W_dec and an externally read W_enc are
      // the two big matrices, and holding them would double the worker's memory.
      const external = externalData !== false && weights.external?.W_enc !== undefined;
      const slim: SaeWeights = {
        ...weights,
        W_dec: new Float32Array(0),
        W_enc: external ? new Float32Array(0) : weights.W_enc,
      };
      const counts = model.outputNames.includes('counts');
      const entry: LoadedSession = {
        session,
        slim,
        dIn: weights.dIn,
        dSae: weights.dSae,
        report,
        externalData: externalData !== false,
        counts,
      };
      if (weights.rescaleActsByDecoderNorm) entry.decoderNorms = Float32Array.from(decoderRowNorms(weights));
      if (intraOpNumThreads !== undefined) entry.intraOpNumThreads = intraOpNumThreads;
      if (providers !== undefined) entry.providers = providers;
      sessions.set(saeId, entry);
      const loaded: LoadedSae = {
        saeId,
        architecture: weights.architecture,
        dIn: weights.dIn,
        dSae: weights.dSae,
        normalizeActivations: weights.normalizeActivations,
        source: weights.source,
        provider: report,
        externalData: model.externalDataFolder !== undefined,
        countsAllFirings: counts,
      };
      if (weights.k !== undefined) loaded.k = weights.k;
      if (weights.inputScale !== undefined) loaded.inputScale = weights.inputScale;
      if (weights.hookPoint !== undefined) loaded.hookPoint = weights.hookPoint;
      if (weights.layer !== undefined) loaded.layer = weights.layer;
      return loaded;
    },

    async encodeBatch({ saeId, x, n, topK, image }) {
      const s = get(saeId);
      if (!Number.isInteger(n) || n < 0 || x.length !== n * s.dIn) {
        throw new AppError(
          'invalid_input',
          `encodeBatch: x has ${x.length} values, expected n (${n}) x dIn (${s.dIn})`,
        );
      }
      if (!Number.isInteger(topK) || topK < 1)
        throw new AppError('invalid_input', `encodeBatch: topK must be a positive integer, got ${topK}`);
      const k = Math.min(topK, s.dSae);
      if (image !== undefined && image.length !== n)
        throw new AppError('invalid_input', `encodeBatch: image has ${image.length} values, expected n (${n})`);
      if (n === 0)
        return {
          values: new Float32Array(0),
          indices: new Int32Array(0),
          n,
          k,
          ...(s.counts ? { counts: new Float32Array(2 * s.dSae) } : {}),
          provider: s.report.provider,
        };
      if (!s.session)
        throw new AppError(
          'invalid_input',
          'encodeBatch: the top-k encoder of this SAE was released (encodeSelected with releaseEncoder)',
        );
      const feeds: Record<string, ort.Tensor> = {
        x: new ort.Tensor('float32', x, [n, s.dIn]),
        k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
      };
      if (s.counts) feeds.image = new ort.Tensor('float32', image ?? new Float32Array(n), [n]);
      const out = await s.session.run(feeds);
      // The outputs are already reduced to [n, k]; copying them into fresh transferable arrays is cheap.
      const values = Float32Array.from(out.values.data as Float32Array);
      const wide = out.indices.data as BigInt64Array;
      const indices = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) indices[i] = Number(wide[i]);
      if (!s.counts) return { values, indices, n, k, provider: s.report.provider };
      return {
        values,
        indices,
        n,
        k,
        counts: Float32Array.from(out.counts.data as Float32Array),
        provider: s.report.provider,
      };
    },

    async encodeSelected({ saeId, x, n, features, releaseEncoder }) {
      const s = get(saeId);
      if (!Number.isInteger(n) || n < 0 || x.length !== n * s.dIn) {
        throw new AppError(
          'invalid_input',
          `encodeSelected: x has ${x.length} values, expected n (${n}) x dIn (${s.dIn})`,
        );
      }
      for (const f of features)
        if (!(f >= 0 && f < s.dSae))
          throw new AppError('invalid_input', `encodeSelected: feature ${f} is outside 0..${s.dSae - 1}`);
      if (releaseEncoder && s.session) {
        await s.session.release();
        s.session = null;
      }
      if (!s.selected) {
        const model = buildSelectedFeaturesModel(s.slim, {
          external: s.externalData,
          ...(s.decoderNorms ? { decoderNorms: s.decoderNorms } : {}),
        });
        const options: SessionOptions = { providers: s.report.provider, externalDataFolder: model.externalDataFolder };
        if (s.intraOpNumThreads !== undefined) options.intraOpNumThreads = s.intraOpNumThreads;
        s.selected = (await createSession(model.bytes, options)).session;
      }
      const f = features.length;
      if (n === 0 || f === 0) return { acts: new Float32Array(n * f), n, f };
      const wide = new BigInt64Array(f);
      for (let i = 0; i < f; i++) wide[i] = BigInt(features[i]);
      const out = await s.selected.run({
        x: new ort.Tensor('float32', x, [n, s.dIn]),
        features: new ort.Tensor('int64', wide, [f]),
      });
      return { acts: Float32Array.from(out.acts.data as Float32Array), n, f };
    },

    async decoderCosines({ source, vector, count }) {
      // The whole SAE is read (every format's reader gives W_dec with the rest); only the ranking leaves.
      const weights = await loadSae(source.path, source.options);
      // Every format lists the file holding W_dec second, after its config, or alone.
      const files = weights.source.files;
      const decoderFile = basename((files[1] ?? files[0])?.path ?? source.path);
      const ranking = rankDecoderCosines(weights.W_dec, weights.dIn, weights.dSae, vector, count, decoderFile);
      return { ...ranking, dIn: weights.dIn, dSae: weights.dSae, files: weights.source.files };
    },

    async dispose({ saeId }) {
      const s = sessions.get(saeId);
      if (!s) return { disposed: false };
      sessions.delete(saeId);
      await s.session?.release();
      await s.selected?.release();
      return { disposed: true };
    },

    async disposeAll() {
      for (const id of [...sessions.keys()]) await this.dispose({ saeId: id });
      await lm.disposeAllLms();
    },
  };
}
