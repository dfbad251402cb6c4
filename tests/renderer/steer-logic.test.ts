// The Steer page's pure helpers: its k range gives exactly the k values of `sightline sweep --k a:b:n`
// (so a sweep started from the page is the CLI's sweep, same sweep id), and a sweep's generations
// grouped by k keep the sweep's order with each prompt's k = 0 answer beside it (an ablate sweep, with
// no k, in one group); the form's steer source and sampling are what steer.generate and sweeps.start
// take, or a message naming the field.
import { describe, expect, it } from 'vitest';
import type { SweepGeneration } from '../../src-main/contract';
import { parseKValues } from '../../src-main/steer/sweep-spec';
import {
  baselineOf,
  groupByK,
  kValues,
  newStreamTag,
  klText,
  samplingOf,
  steerHeading,
  steerSource,
} from '../../src-renderer/src/researcher/steer/steer-logic';

describe('kValues', () => {
  it.each([
    [0, 30, 7],
    [0, 1, 3],
    [-2.5, 2.5, 11],
    [30, 0, 4],
    [0.1, 0.7, 7],
    [5, 5, 1],
  ])('from %d to %d in %d values is what --k a:b:n parses to', (from, to, count) => {
    expect(kValues(from, to, count)).toEqual(parseKValues(`${from}:${to}:${count}`));
  });

  it('says what is wrong where the CLI would refuse', () => {
    expect(kValues(0, 5, 1)).toMatch(/one value/);
    expect(kValues(0, 5, 0)).toMatch(/1 to 10000/);
    expect(kValues(0, 5, 2.5)).toMatch(/1 to 10000/);
    expect(kValues(3, 3, 2)).toMatch(/each k once/);
    expect(kValues(Number.NaN, 3, 2)).toMatch(/numbers/);
    expect(() => parseKValues('3:3:2')).toThrow(/each k once/);
  });
});

const generation = (generationId: number, promptIndex: number, k: number | null): SweepGeneration => ({
  kl: k === 0 ? 0 : null,
  generationId,
  cell: generationId - 1,
  promptIndex,
  k,
  prompt: `prompt ${promptIndex}`,
  text: `answer ${promptIndex} at ${k}`,
});

describe('a sweep by k', () => {
  // Cell order: prompt-major, k in the order the sweep listed them (here 10, 0, 5).
  const sweep = [10, 0, 5].flatMap((k, i) => [0, 1].map((p) => ({ k, i, p })));
  const generations = sweep
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map(({ k, p }, index) => generation(index + 1, p, k));

  it('groups by k in the order k first appears, each group in cell order', () => {
    const groups = groupByK(generations);
    expect(groups.map((g) => g.k)).toEqual([10, 0, 5]);
    expect(groups.map((g) => g.generations.map((x) => x.promptIndex))).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(groups.flatMap((g) => g.generations).length).toBe(generations.length);
  });

  it("finds each prompt's k = 0 answer, or none in a sweep without k = 0", () => {
    expect(baselineOf(generations, 1)).toBe('answer 1 at 0');
    expect(
      baselineOf(
        generations.filter((g) => g.k !== 0),
        1,
      ),
    ).toBeNull();
  });

  it('keeps an ablate sweep (k null, one cell per prompt) as one group without a k = 0 answer', () => {
    const ablated = [generation(1, 0, null), generation(2, 1, null)];
    expect(groupByK(ablated)).toEqual([{ k: null, generations: ablated }]);
    expect(baselineOf(ablated, 0)).toBeNull();
  });
});

describe('the form as the contract takes it', () => {
  it('steers with the vector, or for clamp with the SAE and its feature (as generate --sae NAME --feature N)', () => {
    expect(steerSource('add', 'v', 'sae16', 3, 16)).toEqual({ vector: 'v' });
    expect(steerSource('ablate', '', 'sae16', 3, 16)).toBe('pick a steering vector');
    expect(steerSource('clamp', 'v', 'sae16', 3, 16)).toEqual({ sae: 'sae16', feature: 3 });
    expect(steerSource('clamp', 'v', '', 3, 16)).toBe('clamp: pick an SAE');
    expect(steerSource('clamp', 'v', 'sae16', 16, 16)).toBe('feature: the SAE has 16 features (0–15)');
    expect(steerSource('clamp', 'v', 'sae16', 1.5, 16)).toMatch(/^feature: expected a whole number/);
  });

  it('samples only when asked, with the seed given or none (the server chooses), and names a bad field', () => {
    const fields = { sampled: true, temperature: 0.7, topP: 0.9, seed: '' as string | number };
    expect(samplingOf({ ...fields, sampled: false })).toBeUndefined();
    expect(samplingOf(fields)).toEqual({ temperature: 0.7, topP: 0.9 });
    expect(samplingOf({ ...fields, seed: ' 42 ' })).toEqual({ temperature: 0.7, topP: 0.9, seed: 42 });
    expect(samplingOf({ ...fields, seed: 4294967296 })).toMatch(/^seed:/);
    expect(samplingOf({ ...fields, seed: 'abc' })).toMatch(/^seed:/);
    expect(samplingOf({ ...fields, temperature: -1 })).toMatch(/^temperature:/);
    expect(samplingOf({ ...fields, topP: 0 })).toMatch(/^top-p:/);
  });

  it('writes the KL strength in nats, and a dash where there is none', () => {
    expect(klText(0.012345)).toBe('KL 0.0123 nats');
    expect(klText(0)).toBe('KL 0.00 nats');
    expect(klText(null)).toBe('—');
  });
});

describe('labels and tags', () => {
  it('heads the steered column with the method', () => {
    expect(steerHeading('add', -1.5, 20)).toBe('k = -1.5 at layer 20');
    expect(steerHeading('cap', 3, 2)).toBe('cap h·v at 3, layer 2');
    expect(steerHeading('ablate', 3, 2)).toBe('ablate v at layer 2');
    expect(steerHeading('clamp', -4, 2, 5)).toBe('feature 5 clamped to -4, layer 2');
  });

  it('gives every request its own stream tag, even with the same random draw', () => {
    const tags = Array.from({ length: 50 }, () => newStreamTag(() => 0.5));
    expect(new Set(tags).size).toBe(50);
  });
});
