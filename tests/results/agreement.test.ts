import { describe, expect, it } from 'vitest';
import {
  bootstrapAlpha,
  cohenKappa,
  fleissKappa,
  fleissKappaFromCounts,
  krippendorffAlpha,
  pairwiseCohenKappa,
  percentAgreement,
  ratingsFromRaterMatrix,
  type Rating,
} from '../../src-main/results/agreement';
import { AppError } from '../../src-main/util/errors';
import { mulberry32, shuffleInPlace } from '../../src-main/util/random';

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12
// units with missing values. Published: nominal 0.743, ordinal 0.815, interval 0.849; n.. = 40.
const KRIPPENDORFF_C = ratingsFromRaterMatrix(
  [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
    [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
  ],
  { raters: ['A', 'B', 'C', 'D'], units: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
);

// Wikipedia's "Fleiss' kappa" worked example (the method is Fleiss 1971; this table is Wikipedia's,
// not one from the 1971 paper): 10 subjects, 14 raters, 5 categories. Its values: p_j, P_i,
// P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
const FLEISS_COUNTS = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
];

/** Expands a count table into ratings; raters are numbered per unit, which Fleiss allows. */
function ratingsFromCounts(counts: number[][]): Rating[] {
  return counts.flatMap((row, unit) => {
    const values = row.flatMap((count, category) => new Array<number>(count).fill(category + 1));
    return values.map((value, rater) => ({ unit, rater, value }));
  });
}

// Wikipedia's "Cohen's kappa" example: 50 grant proposals, readers A and B say yes/no.
// Both yes 20, A yes B no 5, A no B yes 10, both no 15. Published: p_o 0.7, p_e 0.5, kappa 0.4.
const COHEN_PAIRS: Array<[string, string]> = [
  ...new Array<[string, string]>(20).fill(['yes', 'yes']),
  ...new Array<[string, string]>(5).fill(['yes', 'no']),
  ...new Array<[string, string]>(10).fill(['no', 'yes']),
  ...new Array<[string, string]>(15).fill(['no', 'no']),
];

function expectInvalidInput(run: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AppError);
  expect((thrown as AppError).code).toBe('invalid_input');
  expect((thrown as AppError).message).toMatch(message);
}

describe("Krippendorff's alpha", () => {
  it('reproduces Krippendorff (2011) for nominal, ordinal and interval data with missing values', () => {
    const nominal = krippendorffAlpha(KRIPPENDORFF_C, { metric: 'nominal' });
    expect(nominal.alpha).toBeCloseTo(0.743, 3);
    expect(nominal.pairableValues).toBe(40);
    expect(nominal.pairableUnits).toBe(11); // unit 12 has a single value and is dropped
    expect(krippendorffAlpha(KRIPPENDORFF_C, { metric: 'ordinal' }).alpha).toBeCloseTo(0.815, 3);
    expect(krippendorffAlpha(KRIPPENDORFF_C, { metric: 'interval' }).alpha).toBeCloseTo(0.849, 3);
  });

  it('reproduces the two-observer examples of Krippendorff (2011): binary 0.095, nominal letters 0.692', () => {
    const binary = ratingsFromRaterMatrix([
      [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
      [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    ]);
    expect(krippendorffAlpha(binary, { metric: 'nominal' }).alpha).toBeCloseTo(0.095, 3);
    const letters = ratingsFromRaterMatrix([
      ['a', 'a', 'b', 'b', 'd', 'c', 'c', 'c', 'e', 'd', 'd', 'a'],
      ['b', 'a', 'b', 'b', 'b', 'c', 'c', 'c', 'e', 'd', 'd', 'd'],
    ]);
    expect(krippendorffAlpha(letters, { metric: 'nominal' }).alpha).toBeCloseTo(0.692, 3);
  });

  it('does not depend on the order ratings arrive in', () => {
    const shuffled = shuffleInPlace([...KRIPPENDORFF_C], mulberry32(7));
    for (const metric of ['nominal', 'ordinal', 'interval'] as const) {
      expect(krippendorffAlpha(shuffled, { metric }).alpha).toBeCloseTo(
        krippendorffAlpha(KRIPPENDORFF_C, { metric }).alpha as number,
        12,
      );
    }
  });

  it('ranks ordinal string labels by options.order, giving the same alpha as their numeric codes', () => {
    const words = ['never', 'rarely', 'sometimes', 'often', 'always'];
    const labelled = KRIPPENDORFF_C.map((rating) => ({ ...rating, value: words[(rating.value as number) - 1] }));
    const alpha = krippendorffAlpha(labelled, { metric: 'ordinal', order: words }).alpha;
    expect(alpha).toBeCloseTo(0.815, 3);
    expectInvalidInput(() => krippendorffAlpha(labelled, { metric: 'ordinal' }), /options\.order/);
    expectInvalidInput(() => krippendorffAlpha(labelled, { metric: 'interval' }), /not a number/);
    expectInvalidInput(
      () => krippendorffAlpha(labelled, { metric: 'ordinal', order: words.slice(1) }),
      /"never".*not in options\.order/,
    );
  });

  it('is 1 when raters agree on every unit and the units vary', () => {
    const agreeing = ratingsFromRaterMatrix([
      [1, 2, 3, 2],
      [1, 2, 3, 2],
      [1, 2, null, 2],
    ]);
    for (const metric of ['nominal', 'ordinal', 'interval'] as const)
      expect(krippendorffAlpha(agreeing, { metric }).alpha).toBe(1);
  });

  it('is null, not 1 or NaN, when every value is the same (expected disagreement is 0)', () => {
    const constant = ratingsFromRaterMatrix([
      [4, 4, 4],
      [4, 4, 4],
    ]);
    const result = krippendorffAlpha(constant, { metric: 'interval' });
    expect(result.expectedDisagreement).toBe(0);
    expect(result.alpha).toBeNull();
  });

  it('throws a clear error for empty input, a single rater and duplicate ratings', () => {
    expectInvalidInput(() => krippendorffAlpha([], { metric: 'nominal' }), /no ratings/);
    const single = ratingsFromRaterMatrix([[1, 2, 3]]);
    expectInvalidInput(() => krippendorffAlpha(single, { metric: 'nominal' }), /two or more raters.*1 rater/);
    const duplicated: Rating[] = [
      { unit: 'u1', rater: 'r1', value: 1 },
      { unit: 'u1', rater: 'r1', value: 2 },
    ];
    expectInvalidInput(() => krippendorffAlpha(duplicated, { metric: 'nominal' }), /rater "r1" rated unit "u1" twice/);
  });
});

describe("bootstrap interval for Krippendorff's alpha", () => {
  // 200 units, 3 raters, 4 ordered categories; each rater reports the true category 70% of the time.
  const random = mulberry32(2024);
  const simulated: Rating[] = [];
  for (let unit = 0; unit < 200; unit++) {
    const truth = Math.floor(random() * 4) + 1;
    for (let rater = 0; rater < 3; rater++) {
      const value = random() < 0.7 ? truth : Math.floor(random() * 4) + 1;
      simulated.push({ unit, rater, value });
    }
  }

  it('contains the point estimate and is reproducible with the same seed', () => {
    for (const metric of ['nominal', 'ordinal', 'interval'] as const) {
      const first = bootstrapAlpha(simulated, { metric, seed: 11, replicates: 500 });
      const again = bootstrapAlpha(simulated, { metric, seed: 11, replicates: 500 });
      expect(again).toEqual(first);
      expect(first.alpha).toBe(krippendorffAlpha(simulated, { metric }).alpha);
      expect(first.lower as number).toBeLessThan(first.alpha as number);
      expect(first.upper as number).toBeGreaterThan(first.alpha as number);
      expect((first.upper as number) - (first.lower as number)).toBeLessThan(0.25);
      expect(first.undefinedReplicates).toBe(0);
    }
  });

  it('contains the estimate on the small published example, and a different seed gives different bounds', () => {
    const interval = bootstrapAlpha(KRIPPENDORFF_C, { metric: 'nominal', seed: 3 });
    expect(interval.replicates).toBe(1000);
    expect(interval.confidenceLevel).toBe(0.95);
    expect(interval.lower as number).toBeLessThanOrEqual(interval.alpha as number);
    expect(interval.upper as number).toBeGreaterThanOrEqual(interval.alpha as number);
    const other = bootstrapAlpha(KRIPPENDORFF_C, { metric: 'nominal', seed: 4 });
    expect([other.lower, other.upper]).not.toEqual([interval.lower, interval.upper]);
  });

  it('reports resamples with no variation instead of averaging in NaN', () => {
    // Two units: each resample of only the all-1 unit has no variation.
    const ratings = ratingsFromRaterMatrix([
      [1, 2],
      [1, 2],
    ]);
    const interval = bootstrapAlpha(ratings, { metric: 'nominal', seed: 5, replicates: 200 });
    expect(interval.undefinedReplicates).toBeGreaterThan(0);
    expect(interval.lower).toBe(1);
    expect(interval.upper).toBe(1);
  });
});

describe("Fleiss' kappa", () => {
  it("reproduces Wikipedia's worked example (10 subjects, 14 raters): kappa 0.210", () => {
    const result = fleissKappaFromCounts(FLEISS_COUNTS);
    expect(result.kappa).toBeCloseTo(0.21, 3);
    expect(result.ratersPerUnit).toBe(14);
    expect(result.meanUnitAgreement).toBeCloseTo(0.378, 3);
    expect(result.expectedAgreement).toBeCloseTo(0.213, 3);
    const publishedP = [0.143, 0.2, 0.279, 0.15, 0.229];
    result.categoryProportions.forEach((p, j) => expect(p).toBeCloseTo(publishedP[j], 3));
    const publishedPi = [1.0, 0.253, 0.308, 0.44, 0.33, 0.462, 0.242, 0.176, 0.286, 0.286];
    result.unitAgreement.forEach((p, i) => expect(p).toBeCloseTo(publishedPi[i], 3));
  });

  it('gives the same result from individual ratings as from the count table', () => {
    const result = fleissKappa(ratingsFromCounts(FLEISS_COUNTS));
    expect(result.kappa).toBeCloseTo(fleissKappaFromCounts(FLEISS_COUNTS).kappa as number, 12);
    expect(result.categories).toEqual([1, 2, 3, 4, 5]);
    expect(result.units).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses units with differing rater counts, naming them', () => {
    const uneven: Rating[] = [
      { unit: 'a', rater: 1, value: 'x' },
      { unit: 'a', rater: 2, value: 'x' },
      { unit: 'b', rater: 1, value: 'y' },
      { unit: 'b', rater: 2, value: 'y' },
      { unit: 'b', rater: 3, value: 'x' },
    ];
    expectInvalidInput(() => fleissKappa(uneven), /unit "a" has 2 ratings but unit "b" has 3.*Krippendorff/);
    expectInvalidInput(
      () =>
        fleissKappaFromCounts([
          [1, 1],
          [2, 1],
        ]),
      /row 1 sums to 3/,
    );
  });

  it('is 1 on full agreement, null when one category takes every rating, and refuses one rater per unit', () => {
    expect(
      fleissKappaFromCounts([
        [3, 0],
        [0, 3],
      ]).kappa,
    ).toBe(1);
    expect(
      fleissKappaFromCounts([
        [3, 0],
        [3, 0],
      ]).kappa,
    ).toBeNull();
    expectInvalidInput(
      () =>
        fleissKappaFromCounts([
          [1, 0],
          [0, 1],
        ]),
      /at least 2 per unit/,
    );
    expectInvalidInput(() => fleissKappa([]), /no ratings/);
  });
});

describe("Cohen's kappa and percent agreement", () => {
  it("reproduces Wikipedia's 50-proposal example: p_o 0.7, p_e 0.5, kappa 0.4", () => {
    const result = cohenKappa(COHEN_PAIRS);
    expect(result.observedAgreement).toBeCloseTo(0.7, 12);
    expect(result.expectedAgreement).toBeCloseTo(0.5, 12);
    expect(result.kappa).toBeCloseTo(0.4, 12);
    expect(result.sharedUnits).toBe(50);
  });

  it('computes each rater pair over the units both rated, and the mean', () => {
    const ratings: Rating[] = COHEN_PAIRS.flatMap(([a, b], unit) => [
      { unit, rater: 'A', value: a },
      { unit, rater: 'B', value: b },
      // C copies A on even units only, so it shares 25 units with A and B and none are missing for A-B.
      ...(unit % 2 === 0 ? [{ unit, rater: 'C', value: a }] : []),
    ]);
    const result = pairwiseCohenKappa(ratings);
    expect(result.pairs.map((pair) => [pair.raterA, pair.raterB, pair.sharedUnits])).toEqual([
      ['A', 'B', 50],
      ['A', 'C', 25],
      ['B', 'C', 25],
    ]);
    expect(result.pairs[0].kappa).toBeCloseTo(0.4, 12);
    expect(result.pairs[1].kappa).toBe(1);
    const kappas = result.pairs.map((pair) => pair.kappa as number);
    expect(result.meanKappa).toBeCloseTo((kappas[0] + kappas[1] + kappas[2]) / 3, 12);
    expect(result.pairs[1].observedAgreement).toBe(1);
  });

  it('needs at least two raters and some shared units', () => {
    expectInvalidInput(
      () => pairwiseCohenKappa([{ unit: 1, rater: 'solo', value: 'yes' }]),
      /at least two raters.*"solo"/,
    );
    expectInvalidInput(() => cohenKappa([]), /no units were rated by both/);
    const disjoint = pairwiseCohenKappa([
      { unit: 1, rater: 'A', value: 'yes' },
      { unit: 2, rater: 'B', value: 'yes' },
    ]);
    expect(disjoint).toEqual({ pairs: [], meanKappa: null, meanObservedAgreement: null });
  });

  it("pairwise percent agreement equals Fleiss' P-bar when every unit has the same rater count", () => {
    const result = percentAgreement(ratingsFromCounts(FLEISS_COUNTS));
    expect(result.agreement).toBeCloseTo(fleissKappaFromCounts(FLEISS_COUNTS).meanUnitAgreement, 12);
    expect(result.pairableUnits).toBe(10);
    expect(percentAgreement(KRIPPENDORFF_C).pairableUnits).toBe(11);
    expectInvalidInput(() => percentAgreement(ratingsFromRaterMatrix([[1, 2]])), /two or more raters/);
  });
});
