import { describe, expect, it } from 'vitest';
import {
  consensusFromDawidSkene,
  consensusFromMajority,
  dawidSkene,
  majorityVote,
  raterReliability,
  type TimedRating,
} from '../../src-main/results/aggregate';
import type { Rating } from '../../src-main/results/agreement';
import { AppError } from '../../src-main/util/errors';
import { hashSeed, mulberry32, shuffleInPlace, type Rng } from '../../src-main/util/random';

function sample(probabilities: readonly number[], rng: Rng): number {
  let draw = rng();
  for (let index = 0; index < probabilities.length; index++) {
    draw -= probabilities[index];
    if (draw < 0) return index;
  }
  return probabilities.length - 1;
}

describe('seeded randomness (src-main/util/random)', () => {
  it('repeats for a seed, stays in [0, 1), and shuffles to a permutation', () => {
    const first = mulberry32(42);
    const second = mulberry32(42);
    const draws = Array.from({ length: 1000 }, () => first());
    expect(Array.from({ length: 1000 }, () => second())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(0.5, 1);
    const shuffled = shuffleInPlace(
      Array.from({ length: 20 }, (_, i) => i),
      mulberry32(1),
    );
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(shuffled).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('hashSeed is stable, 32-bit, and separates parts and types', () => {
    expect(hashSeed('campaign', 7)).toBe(hashSeed('campaign', 7));
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
    expect(hashSeed(1)).not.toBe(hashSeed('1'));
    const value = hashSeed('rater-3');
    expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true);
  });
});

describe('majority vote', () => {
  const ratings: Rating[] = [
    { unit: 'clear', rater: 1, value: 'cat' },
    { unit: 'clear', rater: 2, value: 'cat' },
    { unit: 'clear', rater: 3, value: 'dog' },
    { unit: 'tied', rater: 1, value: 'dog' },
    { unit: 'tied', rater: 2, value: 'cat' },
    { unit: 'tied', rater: 3, value: 'bird' },
  ];

  it('returns the winner, or every tied label with tie: true and no winner', () => {
    const [clear, tied] = majorityVote(ratings);
    expect(clear).toEqual({
      unit: 'clear',
      label: 'cat',
      labels: ['cat'],
      tie: false,
      tieBrokenBySeed: false,
      votes: 2,
      totalVotes: 3,
    });
    expect(tied).toMatchObject({
      unit: 'tied',
      label: null,
      labels: ['bird', 'cat', 'dog'],
      tie: true,
      tieBrokenBySeed: false,
      votes: 1,
    });
  });

  it('breaks ties deterministically with a seed, whatever the input order', () => {
    const picked = majorityVote(ratings, { tieBreakSeed: 9 })[1];
    expect(picked.tie).toBe(true);
    expect(picked.tieBrokenBySeed).toBe(true);
    expect(picked.labels).toContain(picked.label);
    const reordered = shuffleInPlace([...ratings], mulberry32(3));
    expect(majorityVote(reordered, { tieBreakSeed: 9 }).find((vote) => vote.unit === 'tied')?.label).toBe(picked.label);
    // Across many seeds every tied label gets picked sometimes.
    const picks = new Set(
      Array.from({ length: 60 }, (_, seed) => majorityVote(ratings, { tieBreakSeed: seed })[1].label),
    );
    expect(picks).toEqual(new Set(['bird', 'cat', 'dog']));
  });

  it('consensusFromMajority leaves unresolved ties out', () => {
    expect(consensusFromMajority(majorityVote(ratings))).toEqual(new Map([['clear', 'cat']]));
  });
});

describe('Dawid–Skene', () => {
  // 300 units, 3 classes, 5 raters who rate every unit: three decent raters, one close to random
  // and one adversarial rater who mostly shifts the class by one.
  const PRIORS = [0.4, 0.35, 0.25];
  const TRUE_CONFUSIONS: number[][][] = [
    [
      [0.8, 0.1, 0.1],
      [0.1, 0.8, 0.1],
      [0.1, 0.1, 0.8],
    ],
    [
      [0.8, 0.15, 0.05],
      [0.05, 0.8, 0.15],
      [0.15, 0.05, 0.8],
    ],
    [
      [0.7, 0.2, 0.1],
      [0.1, 0.7, 0.2],
      [0.2, 0.1, 0.7],
    ],
    [
      [0.4, 0.3, 0.3],
      [0.3, 0.4, 0.3],
      [0.3, 0.3, 0.4],
    ],
    [
      [0.05, 0.85, 0.1],
      [0.1, 0.05, 0.85],
      [0.85, 0.1, 0.05],
    ],
  ];
  const CLASSES = ['a', 'b', 'c'];
  const rng = mulberry32(1979);
  const truth = new Map<number, string>();
  const simulated: Rating[] = [];
  // What each rater actually did in this sample, by true class: the most DS could recover.
  const sampleCounts = TRUE_CONFUSIONS.map(() => CLASSES.map(() => CLASSES.map(() => 0)));
  for (let unit = 0; unit < 300; unit++) {
    const trueClass = sample(PRIORS, rng);
    truth.set(unit, CLASSES[trueClass]);
    TRUE_CONFUSIONS.forEach((confusion, rater) => {
      const given = sample(confusion[trueClass], rng);
      sampleCounts[rater][trueClass][given] += 1;
      simulated.push({ unit, rater: `r${rater}`, value: CLASSES[given] });
    });
  }
  const sampleConfusions = sampleCounts.map((matrix) =>
    matrix.map((row) => row.map((count) => count / row.reduce((a, b) => a + b, 0))),
  );

  function accuracy(labels: ReadonlyMap<number | string, number | string>): number {
    let correct = 0;
    for (const [unit, label] of truth) if (labels.get(unit) === label) correct += 1;
    return correct / truth.size;
  }

  const result = dawidSkene(simulated);

  it('converges and recovers the rater confusion matrices', () => {
    expect(result.converged).toBe(true);
    expect(result.classes).toEqual(CLASSES);
    expect(result.raters.map((rater) => rater.rater)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    let totalErrorToTruth = 0;
    result.raters.forEach((rater, r) => {
      expect(rater.ratings).toBe(300);
      rater.confusion.forEach((row, k) => {
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        row.forEach((p, l) => {
          // Every entry within 0.1 of what the rater did in this sample. Against the generating
          // matrix the bound is looser per entry: with ~75 units in the rarest class the sample
          // itself strays from it by up to ~0.12 here, so the truth is checked on average.
          expect(Math.abs(p - sampleConfusions[r][k][l])).toBeLessThan(0.1);
          expect(Math.abs(p - TRUE_CONFUSIONS[r][k][l])).toBeLessThan(0.15);
          totalErrorToTruth += Math.abs(p - TRUE_CONFUSIONS[r][k][l]);
        });
      });
    });
    expect(totalErrorToTruth / (5 * 3 * 3)).toBeLessThan(0.04);
    // The adversarial rater is learned as such: it mostly says b for a, c for b, a for c.
    expect(result.raters[4].confusion.map((row) => row.indexOf(Math.max(...row)))).toEqual([1, 2, 0]);
    result.priors.forEach((prior, k) => expect(Math.abs(prior - PRIORS[k])).toBeLessThan(0.06));
    for (const unit of result.units) expect(unit.posterior.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('labels units more accurately than majority vote, because it learns to invert the adversarial rater', () => {
    const majority = consensusFromMajority(majorityVote(simulated, { tieBreakSeed: 1 }));
    const majorityAccuracy = accuracy(majority);
    const dawidSkeneAccuracy = accuracy(consensusFromDawidSkene(result));
    expect(dawidSkeneAccuracy).toBeGreaterThan(majorityAccuracy + 0.1);
    expect(dawidSkeneAccuracy).toBeGreaterThan(0.9);
  });

  it('is deterministic and independent of input order', () => {
    const reordered = dawidSkene(shuffleInPlace([...simulated], mulberry32(5)));
    expect(reordered.iterations).toBe(result.iterations);
    reordered.raters.forEach((rater, r) =>
      rater.confusion.forEach((row, k) =>
        row.forEach((p, l) => expect(p).toBeCloseTo(result.raters[r].confusion[k][l], 9)),
      ),
    );
  });

  it('keeps every probability above zero thanks to smoothing, and respects given classes', () => {
    const unanimous: Rating[] = [0, 1, 2, 3].flatMap((unit) =>
      [1, 2, 3].map((rater) => ({ unit, rater, value: unit % 2 === 0 ? 'yes' : 'no' })),
    );
    const fit = dawidSkene(unanimous, { classes: ['yes', 'no', 'unsure'] });
    expect(fit.classes).toEqual(['yes', 'no', 'unsure']);
    expect(fit.units.map((unit) => unit.label)).toEqual(['yes', 'no', 'yes', 'no']);
    for (const rater of fit.raters)
      for (const row of rater.confusion) for (const p of row) expect(p).toBeGreaterThan(0);
    expect(fit.units[0].posterior[0]).toBeGreaterThan(0.99);
    expect(() => dawidSkene(unanimous, { classes: ['yes'] })).toThrow(/"no", which is not in options\.classes/);
    expect(() => dawidSkene([])).toThrow(AppError);
  });
});

describe('rater reliability', () => {
  const ratings: TimedRating[] = [
    // r1: careful, right on both gold units.
    { unit: 'g1', rater: 'r1', value: 'a', activeMs: 5000 },
    { unit: 'g2', rater: 'r1', value: 'b', activeMs: 6000 },
    { unit: 'u1', rater: 'r1', value: 'a', activeMs: 4000 },
    // r2: careful, wrong on one gold unit.
    { unit: 'g1', rater: 'r2', value: 'a', activeMs: 4500 },
    { unit: 'g2', rater: 'r2', value: 'a', activeMs: 5500 },
    { unit: 'u1', rater: 'r2', value: 'a', activeMs: 5000 },
    // r3: clicks through; one rating has no measured time.
    { unit: 'g1', rater: 'r3', value: 'b', activeMs: 400 },
    { unit: 'g2', rater: 'r3', value: 'b', activeMs: 500 },
    { unit: 'u1', rater: 'r3', value: 'b', activeMs: null },
  ];
  const gold = new Map([
    ['g1', 'a'],
    ['g2', 'b'],
  ]);

  it('reports gold accuracy, agreement with the aggregate, counts, median active time and a speed flag', () => {
    const consensus = consensusFromMajority(majorityVote(ratings));
    const report = raterReliability(ratings, { gold, consensus });
    // Pooled times: 400 500 4000 4500 5000 5000 5500 6000 -> median 4750; threshold 0.3 x 4750.
    expect(report.overallMedianActiveMs).toBe(4750);
    expect(report.fastThresholdMs).toBeCloseTo(1425, 9);
    const [r1, r2, r3] = report.raters;
    expect(r1).toEqual({
      rater: 'r1',
      ratings: 3,
      goldRatings: 2,
      goldAccuracy: 1,
      consensusRatings: 3,
      consensusAgreement: 1,
      medianActiveMs: 5000,
      tooFast: false,
    });
    expect(r2).toMatchObject({ goldAccuracy: 0.5, consensusAgreement: 2 / 3, medianActiveMs: 5000, tooFast: false });
    expect(r3).toMatchObject({
      ratings: 3,
      goldAccuracy: 0.5,
      consensusAgreement: 1 / 3,
      medianActiveMs: 450,
      tooFast: true,
    });
  });

  it('leaves accuracy null without gold units, and the speed flag off without times', () => {
    const report = raterReliability([{ unit: 1, rater: 'x', value: 1 }], { fastFraction: 0.5 });
    expect(report.raters[0]).toMatchObject({
      goldAccuracy: null,
      consensusAgreement: null,
      medianActiveMs: null,
      tooFast: false,
    });
    expect(report.overallMedianActiveMs).toBeNull();
    expect(() => raterReliability([])).toThrow(/no ratings/);
  });
});
