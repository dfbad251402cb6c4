// The in-graph decode loop (graph/lm-loop.ts, the CUDA path) against the worker-driven loop
// (lm/decode.ts) on CPU: identical tokens on every fixture model, plain and steered with every method
// and position mode, batched with left padding; and against transformers' own greedy tokens.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder.js';
import { buildGreedyLoopModel } from '../../src-main/engine/graph/lm-loop.js';
import { greedyDecode, type DecoderSession } from '../../src-main/engine/lm/decode.js';
import { loopGreedyDecode, type LoopSession } from '../../src-main/engine/lm/decode-loop.js';
import { openLmFolder, readLmWeights, type LmWeights } from '../../src-main/engine/lm/folder.js';
import { saeFeatureRow } from '../../src-main/engine/lm/sae-clamp.js';
import type { Steer } from '../../src-main/engine/lm/steering.js';
import { createSession } from '../../src-main/engine/session.js';
import { randomSaeWeights } from '../engine/fixtures.js';
import { expected, fixtureFolder, HF_MODELS, type HfModelName } from './hf-fixtures.js';

const weightsCache = new Map<HfModelName, LmWeights>();
function weights(name: HfModelName): LmWeights {
  if (!weightsCache.has(name)) weightsCache.set(name, readLmWeights(openLmFolder(fixtureFolder(name))));
  return weightsCache.get(name)!;
}

async function sessions(name: HfModelName): Promise<{ loop: LoopSession; worker: DecoderSession }> {
  const w = weights(name);
  const layer = expected(name).steer.layer;
  const loopModel = buildGreedyLoopModel(w, { steerLayers: [layer], clamp: true });
  const workerModel = buildDecoderModel(w, { steerLayers: [layer], clamp: true });
  const options = { providers: 'cpu' as const, intraOpNumThreads: 1 };
  return {
    loop: { session: (await createSession(loopModel.bytes, options)).session, model: loopModel },
    worker: { session: (await createSession(workerModel.bytes, options)).session, model: workerModel },
  };
}

describe.each(HF_MODELS)('in-graph decode loop: %s', (name) => {
  const want = expected(name);
  const prompts = want.prompts.map((p) => p.ids);
  const { layer, k, vector } = want.steer;

  it('plain and steered on the prompt: the tokens transformers generates, and the worker loop', async () => {
    const { loop, worker } = await sessions(name);
    const plain = await loopGreedyDecode(loop, { prompts, tokens: 20 });
    expect(plain).toEqual(want.prompts.map((p) => p.greedy));
    expect(plain).toEqual(await greedyDecode(worker, { prompts, tokens: 20 }));
    const steers = prompts.map(() => [{ layer, delta: vector.map((x) => k * x), positions: 'prompt' as const }]);
    const steered = await loopGreedyDecode(loop, { prompts, tokens: 20, steers });
    expect(steered).toEqual(want.prompts.map((p) => p.steered_greedy));
    expect(steered).toEqual(await greedyDecode(worker, { prompts, tokens: 20, steers }));
  });

  it('every method and position mode, one per row, equals the worker loop', async () => {
    const { loop, worker } = await sessions(name);
    const D = weights(name).config.dModel;
    const sae = randomSaeWeights('relu', D, 32, 4);
    const rows: Steer[][] = [
      [],
      [{ layer, delta: vector.map((x) => 2 * k * x), positions: 'generated' }],
      [{ layer, delta: vector.map((x) => -k * x), positions: 'all' }],
      [{ layer, delta: vector.map((x) => 3 * k * x), positions: [1, 6, 14, 17] }],
      [{ method: 'ablate', layer, direction: vector, positions: 'all' }],
      [{ method: 'cap', layer, direction: vector, cap: -0.3, positions: 'generated' }],
      [{ method: 'clamp', layer, feature: saeFeatureRow(sae, 2), value: 8, positions: 'all' }],
    ];
    const batch = rows.map((_, r) => prompts[r % prompts.length]);
    const fromLoop = await loopGreedyDecode(loop, { prompts: batch, tokens: 12, steers: rows });
    expect(fromLoop).toEqual(await greedyDecode(worker, { prompts: batch, tokens: 12, steers: rows }));
    // The steers take effect (the rows are not all the plain answer).
    const plain = await loopGreedyDecode(loop, { prompts: batch, tokens: 12 });
    expect(fromLoop.filter((tokens, r) => tokens.join() !== plain[r].join()).length).toBeGreaterThanOrEqual(3);
  });
});

describe('in-graph decode loop: edges', () => {
  it('one token (no loop trips), an unbatched prompt, stop at EOS', async () => {
    const name = 'llama';
    const { loop, worker } = await sessions(name);
    const prompts = expected(name).prompts.map((p) => p.ids);
    expect(await loopGreedyDecode(loop, { prompts, tokens: 1 })).toEqual(
      await greedyDecode(worker, { prompts, tokens: 1 }),
    );
    expect(await loopGreedyDecode(loop, { prompts: [prompts[2]], tokens: 7 })).toEqual(
      await greedyDecode(worker, { prompts: [prompts[2]], tokens: 7 }),
    );
    const full = await greedyDecode(worker, { prompts, tokens: 20 });
    const eos = full[1][2];
    const withEos = (ds: { model: { config: object } }) => ({
      ...ds,
      model: { ...ds.model, config: { ...ds.model.config, eosTokenIds: [eos] } },
    });
    const stopped = await loopGreedyDecode(withEos(loop) as LoopSession, { prompts, tokens: 20, stopAtEos: true });
    expect(stopped).toEqual(
      await greedyDecode(withEos(worker) as DecoderSession, { prompts, tokens: 20, stopAtEos: true }),
    );
    expect(stopped[1].length).toBe(3);
  });

  it('refuses a steer on a layer the graph was not built to steer', async () => {
    const { loop } = await sessions('llama');
    const prompts = [expected('llama').prompts[0].ids];
    await expect(
      loopGreedyDecode(loop, {
        prompts,
        tokens: 3,
        steers: [[{ layer: 0, delta: new Float32Array(64), positions: 'all' }]],
      }),
    ).rejects.toThrow(/not steerable/);
  });
});
