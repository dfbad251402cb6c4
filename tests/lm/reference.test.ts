// The fp64 reference pass against transformers (fp32, eager attention) on the committed fixtures:
// logits at every position of every prompt, hidden_states at two layers, and 20 greedy tokens plain
// and steered (k*v added to the residual stream entering block L on the prompt positions).
//
// Tolerance: transformers runs in float32, so each logit carries float32 rounding accumulated over a
// few hundred multiply-adds per layer; we allow 1e-5 of the largest |logit| of that prompt (the
// measured worst case over the fixtures is 2.6e-6, on the bf16 Mistral). The fixtures'
// greedy steps have a top-1/top-2 margin of at least 1e-3 (the generator checks), far above that, so
// the tokens must be equal.
import { describe, expect, it } from 'vitest';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceForward, referenceGreedy } from '../../src-main/engine/lm/reference.js';
import { expected, fixtureFolder, HF_MODELS } from './hf-fixtures.js';

const LOGIT_TOLERANCE = 1e-5;

function worstRelativeError(actual: ArrayLike<number>, wanted: readonly number[]): number {
  let scale = 0;
  for (const x of wanted) scale = Math.max(scale, Math.abs(x));
  let worst = 0;
  for (let i = 0; i < wanted.length; i++) worst = Math.max(worst, Math.abs(actual[i] - wanted[i]));
  return worst / Math.max(1, scale);
}

describe.each(HF_MODELS)('reference pass vs transformers: %s', (name) => {
  const want = expected(name);
  const weights = readLmWeights(openLmFolder(fixtureFolder(name)));

  it('logits at every position of every prompt', () => {
    for (const p of want.prompts) {
      const { logits } = referenceForward(weights, { ids: p.ids });
      expect(logits.length).toBe(p.logits_shape[0] * p.logits_shape[1]);
      const err = worstRelativeError(logits, p.logits);
      expect(err).toBeLessThan(LOGIT_TOLERANCE);
    }
  });

  it('hidden_states[L] is the residual stream entering block L', () => {
    // transformers' last entry, hidden_states[num_layers], is after the final norm: not a block input.
    const layers = Object.keys(want.hidden_states.layers)
      .map(Number)
      .filter((L) => L < weights.config.nLayers);
    expect(layers.length).toBeGreaterThan(0);
    const { hidden } = referenceForward(weights, {
      ids: want.prompts[want.hidden_states.prompt].ids,
      captureLayers: layers,
    });
    for (const L of layers)
      expect(worstRelativeError(hidden.get(L)!, want.hidden_states.layers[L])).toBeLessThan(LOGIT_TOLERANCE);
  });

  it('20 greedy tokens, plain and steered on the prompt positions', () => {
    const { layer, k, vector } = want.steer;
    const delta = vector.map((x) => k * x);
    for (const p of want.prompts) {
      expect(referenceGreedy(weights, p.ids, 20)).toEqual(p.greedy);
      expect(referenceGreedy(weights, p.ids, 20, [{ layer, delta, positions: 'prompt' }])).toEqual(p.steered_greedy);
    }
  });
});
