// The engine's work, independent of the thread it runs on: worker.ts serves these over
// worker_threads; tests may call them in-process. Sessions run (and block) wherever this lives,
// which is why production code only ever reaches them through the worker.
import { randomUUID } from 'node:crypto';
import { AppError } from '../util/errors.js';
import { loadSae } from './formats/detect.js';
import { buildSaeEncoderModel } from './graph/sae-encoder.js';
import type { EngineHandlers, LoadedSae } from './protocol.js';
import type { SaeWeights } from './sae-model.js';
import { createSession, ort, type ProviderReport } from './session.js';

interface LoadedSession {
  session: ort.InferenceSession;
  dIn: number;
  dSae: number;
  report: ProviderReport;
}

export function createEngineHandlers(): EngineHandlers & { disposeAll(): Promise<void> } {
  const sessions = new Map<string, LoadedSession>();
  const get = (saeId: string) => {
    const s = sessions.get(saeId);
    if (!s) throw new AppError('not_found', `SAE ${saeId} is not loaded in the engine`);
    return s;
  };

  return {
    async loadSae({ source, providers, externalData }) {
      const weights: SaeWeights = source.kind === 'weights' ? source.weights : await loadSae(source.path, source.options);
      // K is a graph input so one session serves every topK the caller asks for.
      const model = buildSaeEncoderModel(weights, { topK: 'input', external: externalData !== false });
      const { session, report } = await createSession(model.bytes, { providers, externalDataFolder: model.externalDataFolder });
      const saeId = randomUUID();
      sessions.set(saeId, { session, dIn: weights.dIn, dSae: weights.dSae, report });
      const loaded: LoadedSae = {
        saeId,
        architecture: weights.architecture,
        dIn: weights.dIn,
        dSae: weights.dSae,
        normalizeActivations: weights.normalizeActivations,
        source: weights.source,
        provider: report,
        externalData: model.externalDataFolder !== undefined,
      };
      if (weights.k !== undefined) loaded.k = weights.k;
      if (weights.inputScale !== undefined) loaded.inputScale = weights.inputScale;
      if (weights.hookPoint !== undefined) loaded.hookPoint = weights.hookPoint;
      if (weights.layer !== undefined) loaded.layer = weights.layer;
      return loaded;
    },

    async encodeBatch({ saeId, x, n, topK }) {
      const s = get(saeId);
      if (!Number.isInteger(n) || n < 0 || x.length !== n * s.dIn) {
        throw new AppError('invalid_input', `encodeBatch: x has ${x.length} values, expected n (${n}) x dIn (${s.dIn})`);
      }
      if (!Number.isInteger(topK) || topK < 1) throw new AppError('invalid_input', `encodeBatch: topK must be a positive integer, got ${topK}`);
      const k = Math.min(topK, s.dSae);
      if (n === 0) return { values: new Float32Array(0), indices: new Int32Array(0), n, k, provider: s.report.provider };
      const out = await s.session.run({
        x: new ort.Tensor('float32', x, [n, s.dIn]),
        k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
      });
      // The outputs are already reduced to [n, k]; copying them into fresh transferable arrays is cheap.
      const values = Float32Array.from(out.values.data as Float32Array);
      const wide = out.indices.data as BigInt64Array;
      const indices = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) indices[i] = Number(wide[i]);
      return { values, indices, n, k, provider: s.report.provider };
    },

    async dispose({ saeId }) {
      const s = sessions.get(saeId);
      if (!s) return { disposed: false };
      sessions.delete(saeId);
      await s.session.release();
      return { disposed: true };
    },

    async disposeAll() {
      for (const id of [...sessions.keys()]) await this.dispose({ saeId: id });
    },
  };
}
