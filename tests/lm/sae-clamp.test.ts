// SAE-feature clamp (issue 13): h += (c - f_i(h)) W_dec[i] on the steered positions, with f_i read from
// one encoder row and a few scalars (lm/sae-clamp.ts). Held three ways: the row reads exactly what
// the full SAE encoder (engine/reference.ts encodeReference) reads, for every architecture and input
// normalisation; the graph equals the fp64 reference within 1e-4 (cached, batched, next to other
// methods); and re-encoding the clamped residual stream reads c.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder.js';
import { DecodeRun, type DecoderSession } from '../../src-main/engine/lm/decode.js';
import { openLmFolder, readLmWeights, type LmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceForward } from '../../src-main/engine/lm/reference.js';
import { featureActivation, saeFeatureRow } from '../../src-main/engine/lm/sae-clamp.js';
import type { ClampSteer, Steer } from '../../src-main/engine/lm/steering.js';
import { encodeReference, topIndices } from '../../src-main/engine/reference.js';
import type { SaeArchitecture, SaeNormalisation, SaeWeights } from '../../src-main/engine/sae-model.js';
import { createSession } from '../../src-main/engine/session.js';
import { randn, randomInputs, randomSaeWeights, rng } from '../engine/fixtures.js';
import { expected, fixtureFolder, type HfModelName } from './hf-fixtures.js';

const TOLERANCE = 1e-4;

function sae(architecture: SaeArchitecture, dIn: number, options: Partial<SaeWeights> = {}, seed = 3): SaeWeights {
  return randomSaeWeights(architecture, dIn, 48, seed, options);
}

const weightsCache = new Map<HfModelName, LmWeights>();
function weights(name: HfModelName): LmWeights {
  if (!weightsCache.has(name)) weightsCache.set(name, readLmWeights(openLmFolder(fixtureFolder(name))));
  return weightsCache.get(name)!;
}

async function session(name: HfModelName, captureLayers: number[] = []): Promise<DecoderSession> {
  const model = buildDecoderModel(weights(name), { clamp: true, captureLayers });
  const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
  return { session, model };
}

function expectRowClose(
  actual: ArrayLike<number>,
  actualOffset: number,
  wanted: ArrayLike<number>,
  wantedOffset: number,
  length: number,
  what: string,
): void {
  let scale = 1;
  for (let i = 0; i < length; i++) scale = Math.max(scale, Math.abs(wanted[wantedOffset + i]));
  for (let i = 0; i < length; i++) {
    const diff = Math.abs(actual[actualOffset + i] - wanted[wantedOffset + i]);
    if (diff > TOLERANCE * scale)
      throw new Error(`${what}: index ${i}: ${actual[actualOffset + i]} vs reference ${wanted[wantedOffset + i]}`);
  }
}

describe('SAE feature row: reads what the full encoder reads', () => {
  const D = 64;
  const cases: {
    architecture: SaeArchitecture;
    normalizeActivations: SaeNormalisation;
    extra?: Partial<SaeWeights>;
  }[] = [
    { architecture: 'relu', normalizeActivations: 'none' },
    { architecture: 'relu', normalizeActivations: 'none', extra: { inputScale: 0.25, applyBDecToInput: false } },
    { architecture: 'relu', normalizeActivations: 'constant_norm_rescale', extra: { inputScale: 3 } },
    { architecture: 'jumprelu', normalizeActivations: 'layer_norm', extra: { inputScale: 2 } },
    { architecture: 'jumprelu', normalizeActivations: 'none' },
    { architecture: 'gated', normalizeActivations: 'none' },
    { architecture: 'gated', normalizeActivations: 'layer_norm' },
    { architecture: 'topk', normalizeActivations: 'none' },
    { architecture: 'topk', normalizeActivations: 'constant_norm_rescale', extra: { rescaleActsByDecoderNorm: true } },
  ];
  for (const c of cases) {
    it(`${c.architecture}, ${c.normalizeActivations} ${JSON.stringify(c.extra ?? {})}`, () => {
      const w = sae(c.architecture, D, { normalizeActivations: c.normalizeActivations, ...c.extra });
      const n = 40;
      const x = randomInputs(n, D, 17, 2);
      const dense = encodeReference(w, x, n);
      let active = 0;
      for (let r = 0; r < n; r++) {
        const row = x.subarray(r * D, (r + 1) * D);
        // TopK: the row reads feature i as if selected, so hold it to the features the SAE selected.
        const features =
          c.architecture === 'topk'
            ? topIndices(dense.subarray(r * w.dSae, (r + 1) * w.dSae), w.k!)
            : [...Array(w.dSae).keys()];
        for (const i of features) {
          const want = dense[r * w.dSae + i];
          if (want > 0) active++;
          expect(Math.abs(featureActivation(saeFeatureRow(w, i), row) - want)).toBeLessThan(
            1e-5 * Math.max(1, Math.abs(want)),
          );
        }
      }
      expect(active).toBeGreaterThan(n); // the comparison covers firing features, not only zeros
    });
  }

  it('refuses a feature outside the SAE', () => {
    const w = sae('relu', D);
    expect(() => saeFeatureRow(w, 48)).toThrow(/feature 48: expected an integer in 0\.\.47/);
    expect(() => saeFeatureRow(w, -1)).toThrow(/feature -1/);
  });
});

describe('SAE clamp in the graph', () => {
  for (const name of ['llama', 'mistral-bf16'] as const) {
    it(`${name}: clamp rows (every architecture and normalisation) next to add and unsteered rows, prefill + 5 cached steps, match the reference`, async () => {
      const w = weights(name);
      const D = w.config.dModel;
      const V = w.config.vocabSize;
      const { layer } = expected(name).steer;
      const ds = await session(name);
      const base = expected(name).prompts.map((p) => p.ids);
      const clamp = (
        s: SaeWeights,
        feature: number,
        value: number,
        positions: ClampSteer['positions'],
      ): ClampSteer => ({
        method: 'clamp',
        layer,
        feature: saeFeatureRow(s, feature),
        value,
        positions,
      });
      const addDelta = randn(D, rng(5), 0.5);
      const steers: Steer[][] = [
        [clamp(sae('relu', D), 3, 4, 'prompt')],
        [clamp(sae('jumprelu', D, { normalizeActivations: 'layer_norm', inputScale: 1.5 }), 7, 2.5, 'all')],
        [],
        [clamp(sae('gated', D, { normalizeActivations: 'constant_norm_rescale' }), 1, 0, 'generated')],
        [clamp(sae('topk', D, { rescaleActsByDecoderNorm: true }), 11, 6, [1, 2, 13])],
        [{ layer, delta: addDelta, positions: 'prompt' }],
      ];
      const prompts = steers.map((_, r) => base[r % base.length]);
      const run = new DecodeRun(ds, { prompts, steers });
      const sequences = prompts.map((p) => [...p]);
      let logits = await run.prefill();
      for (let step = 0; step <= 5; step++) {
        for (let r = 0; r < prompts.length; r++) {
          const ref = referenceForward(w, { ids: sequences[r], steer: steers[r], promptLength: prompts[r].length });
          expectRowClose(logits, r * V, ref.logits, (sequences[r].length - 1) * V, V, `row ${r} step ${step}`);
        }
        const next = prompts.map((_, r) => (3 * step + 7 * r + 2) % V);
        next.forEach((t, r) => sequences[r].push(t));
        if (step < 5) logits = await run.step(next);
      }
      // The clamp moves the answer (the rows above are not all unsteered in disguise).
      const plain = referenceForward(w, { ids: prompts[0] }).logits;
      const clamped = referenceForward(w, { ids: prompts[0], steer: steers[0] }).logits;
      expect(plain.some((x, i) => Math.abs(x - clamped[i]) > 1e-2)).toBe(true);
    });
  }

  it('re-encoding the clamped residual stream reads c (encoder row dual to the decoder row, feature active)', async () => {
    const name = 'llama';
    const w = weights(name);
    const D = w.config.dModel;
    const { layer } = expected(name).steer;
    const feature = 5;
    const s = sae('relu', D);
    // A tied-style row: W_enc[:, i] = W_dec[i] / |W_dec[i]|^2, so moving along W_dec[i] by t moves the
    // pre-activation by exactly t; a large b_enc[i] keeps the feature firing everywhere.
    const dec = s.W_dec.subarray(feature * D, (feature + 1) * D);
    const norm2 = dec.reduce((a, x) => a + x * x, 0);
    for (let d = 0; d < D; d++) s.W_enc[d * s.dSae + feature] = dec[d] / norm2;
    s.b_enc[feature] = 50;
    const ds = await session(name, [layer]);
    const prompt = expected(name).prompts[1].ids;
    for (const value of [0, 3.5, 80]) {
      const steer: ClampSteer = { method: 'clamp', layer, feature: saeFeatureRow(s, feature), value, positions: 'all' };
      const before = referenceForward(w, { ids: prompt, captureLayers: [layer] }).hidden.get(layer)!;
      const after = referenceForward(w, { ids: prompt, steer: [steer], captureLayers: [layer] }).hidden.get(layer)!;
      const S = prompt.length;
      const readBefore = encodeReference(s, Float32Array.from(before), S);
      const readAfter = encodeReference(s, Float32Array.from(after), S);
      const run = new DecodeRun(ds, { prompts: [prompt], steers: [[steer]] });
      await run.prefill();
      const graphHidden = run.lastOutputs![`hidden_${layer}`].data as Float32Array;
      const readGraph = encodeReference(s, graphHidden, S);
      for (let p = 0; p < S; p++) {
        expect(readBefore[p * s.dSae + feature]).toBeGreaterThan(0);
        expect(Math.abs(readBefore[p * s.dSae + feature] - value)).toBeGreaterThan(0.1);
        expect(Math.abs(readAfter[p * s.dSae + feature] - value)).toBeLessThan(1e-4);
        expect(Math.abs(readGraph[p * s.dSae + feature] - value)).toBeLessThan(1e-3 * Math.max(1, value));
      }
    }
  });

  it('refuses a clamp on a graph built without clamp inputs, and a non-finite value', async () => {
    const name = 'llama';
    const w = weights(name);
    const model = buildDecoderModel(w, { steerLayers: [1] });
    const { session: s } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
    const feature = saeFeatureRow(sae('relu', w.config.dModel), 0);
    const prompts = [expected(name).prompts[0].ids];
    expect(
      () =>
        new DecodeRun(
          { session: s, model },
          { prompts, steers: [[{ method: 'clamp', layer: 1, feature, value: 1, positions: 'all' }]] },
        ),
    ).toThrow(/clamp inputs/);
    const ds = await session(name);
    expect(
      () =>
        new DecodeRun(ds, {
          prompts,
          steers: [[{ method: 'clamp', layer: 1, feature, value: NaN, positions: 'all' }]],
        }),
    ).toThrow(/finite value/);
  });
});
