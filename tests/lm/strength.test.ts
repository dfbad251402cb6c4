// Steering strength in model-relative units (issue 13): KL(steered || unsteered) of the first generated
// token's distribution, from the batch's own k = 0 row or from one more prefill, equal to the fp64
// reference pass's, and KL itself checked by hand on a small pair of distributions.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder.js';
import { generate, greedyDecode, type DecoderSession } from '../../src-main/engine/lm/decode.js';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceStrength } from '../../src-main/engine/lm/reference.js';
import type { Steer } from '../../src-main/engine/lm/steering.js';
import { klFromLogits } from '../../src-main/engine/lm/strength.js';
import { createSession } from '../../src-main/engine/session.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

const name = 'llama';
const w = readLmWeights(openLmFolder(fixtureFolder(name)));
const want = expected(name);
const { layer, vector } = want.steer;
const add = (k: number): Steer => ({ layer, delta: vector.map((x) => k * x), positions: 'prompt' });

async function session(): Promise<DecoderSession> {
  const model = buildDecoderModel(w, { steerLayers: [layer] });
  const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
  return { session, model };
}

describe('steering strength (KL at the first generated position)', () => {
  it('KL by hand on two small distributions; zero for equal ones, shift-invariant in the logits', () => {
    const p = [0.7, 0.2, 0.1];
    const q = [0.4, 0.4, 0.2];
    const byHand = p.reduce((a, pi, i) => a + pi * Math.log(pi / q[i]), 0);
    expect(
      klFromLogits(
        p.map(Math.log),
        0,
        q.map((x) => Math.log(x) + 3),
        0,
        3,
      ),
    ).toBeCloseTo(byHand, 12);
    expect(klFromLogits([1, 2, 3], 0, [11, 12, 13], 0, 3)).toBe(0);
  });

  it('a k sweep with its k = 0 row in the batch: each row its KL against that row, equal to the reference; tokens unchanged', async () => {
    const ds = await session();
    const prompt = want.prompts[1].ids;
    const ks = [0, 2, 6, 12];
    const prompts = ks.map(() => prompt);
    const steers = ks.map((k) => (k === 0 ? [] : [add(k)]));
    const out = await generate(ds, { prompts, steers, tokens: 20, strength: true });
    expect(out.klBaseline).toEqual(['self', 'batch', 'batch', 'batch']);
    expect(out.tokens).toEqual(await greedyDecode(ds, { prompts, steers, tokens: 20 }));
    expect(out.tokens[ks.indexOf(6)]).toEqual(want.prompts[1].steered_greedy);
    ks.forEach((k, r) => {
      const ref = k === 0 ? 0 : referenceStrength(w, prompt, steers[r]);
      expect(Math.abs(out.kl![r] - ref)).toBeLessThan(1e-5 + 1e-3 * ref);
    });
    // Strength grows with k here, and is not trivially zero.
    expect(out.kl![1]).toBeGreaterThan(1e-3);
    expect(out.kl![3]).toBeGreaterThan(out.kl![1]);
  });

  it('without a k = 0 row: one more prefill of the unsteered prompts (several prompts, padded), same values', async () => {
    const ds = await session();
    const prompts = want.prompts.map((p) => p.ids);
    const steers = [[add(6)], [add(-3)], [add(6)]];
    const out = await generate(ds, {
      prompts: [...prompts, prompts[2]],
      steers: [...steers, []],
      tokens: 3,
      strength: true,
    });
    expect(out.klBaseline).toEqual(['prefill', 'prefill', 'batch', 'self']);
    prompts.forEach((p, r) => {
      const ref = referenceStrength(w, p, steers[r]);
      expect(Math.abs(out.kl![r] - ref)).toBeLessThan(1e-5 + 1e-3 * ref);
    });
    expect(out.kl![3]).toBe(0);
  });
});
