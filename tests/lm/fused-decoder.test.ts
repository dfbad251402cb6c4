// The decoder graph built with `fused: true` (graph/fused-ops.ts: SkipSimplifiedLayerNormalization,
// SimplifiedLayerNormalization, RotaryEmbedding, GroupQueryAttention) against the fp64 reference and the transformers
// fixtures, the same bars as decoder-graph.test.ts: 1e-4 of max(1, largest |logit| of the row) over a
// batched, left-padded prefill and cached steps, with add, ablation and cap steers, and greedy tokens
// equal to transformers', plain and steered. Only one layer is steerable here, so the other blocks
// take the fused residual-add + norm and the steered block the unfused one: both paths are held.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel, type DecoderBuildOptions } from '../../src-main/engine/graph/lm-decoder.js';
import { DecodeRun, type DecoderSession, greedyDecode } from '../../src-main/engine/lm/decode.js';
import { type LmWeights, openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceForward } from '../../src-main/engine/lm/reference.js';
import type { AddSteer, Steer } from '../../src-main/engine/lm/steering.js';
import { createSession } from '../../src-main/engine/session.js';
import { expected, fixtureFolder, HF_MODELS, type HfModelName } from './hf-fixtures.js';

const TOLERANCE = 1e-4;

function maxRelativeError(
  actual: ArrayLike<number>,
  offset: number,
  wanted: ArrayLike<number>,
  wantedOffset: number,
  n: number,
): number {
  let scale = 1;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(wanted[wantedOffset + i]));
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(actual[offset + i] - wanted[wantedOffset + i]) / scale);
  return worst;
}

const weightsCache = new Map<HfModelName, LmWeights>();
function weights(name: HfModelName): LmWeights {
  if (!weightsCache.has(name)) weightsCache.set(name, readLmWeights(openLmFolder(fixtureFolder(name))));
  return weightsCache.get(name)!;
}

async function session(name: HfModelName, options: DecoderBuildOptions): Promise<DecoderSession> {
  const model = buildDecoderModel(weights(name), { fused: true, ...options });
  const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
  return { session, model };
}

function steerOf(name: HfModelName, positions: AddSteer['positions'], scale: number): AddSteer {
  const { layer, k, vector } = expected(name).steer;
  return { layer, delta: vector.map((x) => scale * k * x), positions };
}

describe.each(HF_MODELS)('fused decoder graph: %s', (name) => {
  const want = expected(name);

  it('is built of the contrib ops', () => {
    const text = new TextDecoder('latin1').decode(buildDecoderModel(weights(name), { fused: true }).bytes);
    const ops = [
      'SkipSimplifiedLayerNormalization',
      'SimplifiedLayerNormalization',
      'RotaryEmbedding',
      'GroupQueryAttention',
    ];
    for (const op of ops) expect(text).toContain(op);
    const plain = new TextDecoder('latin1').decode(buildDecoderModel(weights(name)).bytes);
    expect(plain).not.toContain('RotaryEmbedding');
  });

  it('greedy tokens equal transformers, batched with left padding, plain and steered', async () => {
    const ds = await session(name, { steerLayers: [want.steer.layer] });
    const prompts = want.prompts.map((p) => p.ids);
    expect(await greedyDecode(ds, { prompts, tokens: 20 })).toEqual(want.prompts.map((p) => p.greedy));
    const steers = prompts.map(() => [steerOf(name, 'prompt', 1)]);
    expect(await greedyDecode(ds, { prompts, tokens: 20, steers })).toEqual(want.prompts.map((p) => p.steered_greedy));
  });
});

describe('fused decoder graph: KV cache, padding and steering against the reference', () => {
  // The sliding-window Mistral (window 4 < every prompt) and the GQA Llama with llama3 rope.
  for (const name of ['mistral-bf16', 'llama'] as const) {
    it(`${name}: prefill + 6 cached steps, batch of 4 (plain, add, ablation, cap), captured residual`, async () => {
      const w = weights(name);
      const { layer, vector } = expected(name).steer;
      const capture = [0, layer];
      const ds = await session(name, { steerLayers: [layer], captureLayers: capture });
      const standard = buildDecoderModel(w, { steerLayers: [layer], captureLayers: capture });
      const plainDs: DecoderSession = {
        session: (await createSession(standard.bytes, { providers: 'cpu', intraOpNumThreads: 1 })).session,
        model: standard,
      };
      const V = w.config.vocabSize;
      const prompts = [...expected(name).prompts.map((p) => p.ids), expected(name).prompts[0].ids.slice(0, 3)];
      const rows: Steer[][] = [
        [],
        [steerOf(name, 'all', 1)],
        [{ method: 'ablate', layer, direction: vector, positions: 'prompt' }],
        [{ method: 'cap', layer, direction: vector, cap: -0.2, positions: 'all' }],
      ];
      const steers = rows.slice(0, prompts.length);
      const run = new DecodeRun(ds, { prompts, steers });
      const plainRun = new DecodeRun(plainDs, { prompts, steers });
      const sequences = prompts.map((p) => [...p]);
      let logits = await run.prefill();
      await plainRun.prefill();
      for (let step = 0; step <= 6; step++) {
        for (let r = 0; r < prompts.length; r++) {
          const ref = referenceForward(w, { ids: sequences[r], steer: steers[r], promptLength: prompts[r].length });
          const error = maxRelativeError(logits, r * V, ref.logits, (sequences[r].length - 1) * V, V);
          expect(error, `row ${r} step ${step}`).toBeLessThan(TOLERANCE);
        }
        // The captured residual (entering the block, after its steer) is the standard graph's at every
        // real token; a padding column's is never read and GroupQueryAttention leaves it different.
        const S = step === 0 ? Math.max(...prompts.map((p) => p.length)) : 1;
        const D = w.config.dModel;
        for (const L of capture) {
          const fused = run.lastOutputs![`hidden_${L}`].data as Float32Array;
          const plain = plainRun.lastOutputs![`hidden_${L}`].data as Float32Array;
          expect(fused.length).toBe(prompts.length * S * D);
          for (let r = 0; r < prompts.length; r++) {
            for (let s = step === 0 ? S - prompts[r].length : 0; s < S; s++) {
              const at = (r * S + s) * D;
              const error = maxRelativeError(fused, at, plain, at, D);
              expect(error, `hidden_${L} row ${r} column ${s} step ${step}`).toBeLessThan(TOLERANCE);
            }
          }
        }
        const next = prompts.map((_, r) => (7 * step + 11 * r + 5) % V);
        next.forEach((t, r) => sequences[r].push(t));
        if (step < 6) {
          logits = await run.step(next);
          await plainRun.step(next);
        }
      }
    });
  }
});
