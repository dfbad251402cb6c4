// Temperature / top-p sampling with a recorded seed (issue 13): the same seed gives the same tokens,
// a vanishing top-p or temperature 0 is greedy, the sampler's frequencies follow the nucleus
// distribution, and the batched, cached decode loop draws exactly what the one-row reference draws.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder.js';
import { generate, greedyDecode, type DecoderSession } from '../../src-main/engine/lm/decode.js';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceGenerate } from '../../src-main/engine/lm/reference.js';
import { chooseToken, nucleus, rowRngs, type SamplingOptions } from '../../src-main/engine/lm/sampling.js';
import { createSession } from '../../src-main/engine/session.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

const name = 'llama';
const w = readLmWeights(openLmFolder(fixtureFolder(name)));
const prompts = expected(name).prompts.map((p) => p.ids);

async function session(): Promise<DecoderSession> {
  const model = buildDecoderModel(w, { steerLayers: [expected(name).steer.layer] });
  const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
  return { session, model };
}

describe('sampling in the decode loop', () => {
  it('the same seed gives the same tokens, another seed others, and both equal the reference draw', async () => {
    const ds = await session();
    const sampling: SamplingOptions = { temperature: 1.5, topP: 0.95, seed: 1234 };
    const first = await generate(ds, { prompts, tokens: 20, sampling });
    const again = await generate(ds, { prompts, tokens: 20, sampling });
    expect(again.tokens).toEqual(first.tokens);
    const other = await generate(ds, { prompts, tokens: 20, sampling: { ...sampling, seed: 99 } });
    expect(other.tokens).not.toEqual(first.tokens);
    // Sampled, not greedy: at this temperature the tiny model's tokens leave the greedy path.
    expect(first.tokens).not.toEqual(prompts.map((_, r) => expected(name).prompts[r].greedy));
    // Batched with left padding and a KV cache, each row draws what the one-row reference draws.
    const { layer, k, vector } = expected(name).steer;
    const steers = [[], [{ layer, delta: vector.map((x) => k * x), positions: 'prompt' as const }], []];
    const steered = await generate(ds, { prompts, tokens: 12, sampling, steers });
    prompts.forEach((p, r) => {
      expect(referenceGenerate(w, p, 20, [], sampling)).toEqual(first.tokens[r]);
      expect(referenceGenerate(w, p, 12, steers[r], sampling)).toEqual(steered.tokens[r]);
    });
  });

  it('a vanishing top-p and temperature 0 are greedy', async () => {
    const ds = await session();
    const greedy = await greedyDecode(ds, { prompts, tokens: 20 });
    expect(greedy).toEqual(expected(name).prompts.map((p) => p.greedy));
    expect(
      (await generate(ds, { prompts, tokens: 20, sampling: { temperature: 2, topP: 1e-9, seed: 7 } })).tokens,
    ).toEqual(greedy);
    expect((await generate(ds, { prompts, tokens: 20, sampling: { temperature: 0, seed: 7 } })).tokens).toEqual(greedy);
  });

  it('refuses a negative temperature, a top-p outside (0, 1] and a seed that is not a 32-bit integer', async () => {
    const ds = await session();
    for (const sampling of [
      { temperature: -1, seed: 1 },
      { temperature: 1, topP: 0, seed: 1 },
      { temperature: 1, topP: 1.5, seed: 1 },
      { temperature: 1, seed: 1.5 },
      { temperature: NaN, seed: 1 },
    ]) {
      await expect(generate(ds, { prompts, tokens: 2, sampling })).rejects.toThrow(/temperature|top-p|seed/);
    }
  });
});

describe('the sampler on a fixed logits vector', () => {
  const logits = Float32Array.of(2.0, 1.0, 0.5, 3.0, -1.0, 0.0, 2.5, -4.0);
  const V = logits.length;

  it('nucleus: softmax at the temperature, most likely first, cut where the mass reaches top-p', () => {
    const T = 0.8;
    const weights = Array.from(logits, (x) => Math.exp(x / T));
    const total = weights.reduce((a, b) => a + b, 0);
    const p = weights.map((x) => x / total);
    const { ids, probs } = nucleus(logits, 0, V, { temperature: T, topP: 0.9 });
    const order = [3, 6, 0, 1, 2, 5, 4, 7];
    let kept = 0;
    let n = 0;
    while (kept < 0.9) kept += p[order[n++]];
    expect(ids).toEqual(order.slice(0, n));
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(V);
    ids.forEach((id, i) => expect(probs[i]).toBeCloseTo(p[id] / kept, 12));
  });

  it('draws each token at its nucleus probability and never one outside it (40 000 draws, fixed seed)', () => {
    const options: SamplingOptions = { temperature: 1.3, topP: 0.8, seed: 2024 };
    const { ids, probs } = nucleus(logits, 0, V, options);
    const rng = rowRngs(options, 1)[0];
    const draws = 40_000;
    const counts = new Array(V).fill(0);
    for (let i = 0; i < draws; i++) counts[chooseToken(logits, 0, V, options, rng)]++;
    for (let id = 0; id < V; id++) {
      const at = ids.indexOf(id);
      if (at === -1) {
        expect(counts[id]).toBe(0);
      } else {
        // 5 standard errors of a binomial frequency: a wrong distribution is far outside, a right one inside.
        const p = probs[at];
        expect(Math.abs(counts[id] / draws - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / draws));
      }
    }
  });
});
