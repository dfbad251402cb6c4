import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { FeatureResults, SteeringResults } from '../../src-main/contract';
import {
  ALL_PAIRS,
  alphaText,
  classPairOptions,
  coherencePoints,
  dosePoints,
  etaText,
  exportProgressText,
  fileStem,
  meanPlots,
  modalityCells,
  scoreBins,
  selectedCurves,
  toCsv,
} from '../../src-renderer/src/researcher/results/results-logic';

const point = (k: number, successes: number, n: number, coherence: number | null) => ({
  k,
  n,
  successes,
  rate: successes / n,
  lower: 0.1,
  upper: 0.9,
  scales: {
    coherence:
      coherence === null ? null : { n, mean: coherence, sd: 0.5, lower: coherence - 0.25, upper: coherence + 0.25 },
  },
});

const steering: SteeringResults = {
  questionId: 'concept',
  success: 'answer.concept == hidden.target_class (or hidden.correct)',
  scaleRanges: { coherence: [1, 5] },
  byLayer: [
    { layer: 10, points: [point(0, 0, 4, 4.5), point(10, 3, 4, 3.5)] },
    { layer: 20, points: [point(0, 1, 4, null), point(10, 4, 4, null)] },
  ],
  byClassPair: [
    { layer: 10, sourceClass: 'goldfish', targetClass: 'volcano', points: [point(0, 0, 2, 4)] },
    { layer: 20, sourceClass: 'goldfish', targetClass: 'volcano', points: [point(0, 1, 2, 4)] },
    { layer: 10, sourceClass: 'pizza', targetClass: 'zebra', points: [point(10, 2, 2, 3)] },
  ],
};

describe('steering plot data', () => {
  it('offers each class pair once and draws one series per layer', () => {
    const options = classPairOptions(steering);
    expect(options.map((option) => option.label)).toEqual(['All class pairs', 'goldfish → volcano', 'pizza → zebra']);
    const all = dosePoints(selectedCurves(steering, ALL_PAIRS));
    expect(all.map((p) => `${p.series}@${p.k}=${p.successes}/${p.n}`)).toEqual([
      'layer 10@0=0/4',
      'layer 10@10=3/4',
      'layer 20@0=1/4',
      'layer 20@10=4/4',
    ]);
    const goldfish = dosePoints(selectedCurves(steering, options[1].key));
    expect(goldfish.map((p) => [p.series, p.source, p.target])).toEqual([
      ['layer 10', 'goldfish', 'volcano'],
      ['layer 20', 'goldfish', 'volcano'],
    ]);
    expect(selectedCurves(null, ALL_PAIRS)).toEqual([]);
  });

  it('keeps only answered scale means, with their intervals, for the coherence plot', () => {
    expect(coherencePoints(steering.byLayer)).toEqual([
      { series: 'layer 10', question: 'coherence', k: 0, n: 4, mean: 4.5, lower: 4.25, upper: 4.75 },
      { series: 'layer 10', question: 'coherence', k: 10, n: 4, mean: 3.5, lower: 3.25, upper: 3.75 },
    ]);
  });

  it('gives each numeric question its own plot (coherence 1–5 and relatedness 0–1 do not share an axis)', () => {
    const mixed: SteeringResults['byLayer'] = [
      {
        layer: 20,
        points: [
          {
            ...point(0, 1, 2, 4),
            scales: {
              relatedness: { n: 2, mean: 0.25, sd: 0, lower: 0.25, upper: 0.25 },
              coherence: { n: 2, mean: 4, sd: null, lower: null, upper: null },
            },
          },
        ],
      },
    ];
    const plots = meanPlots(coherencePoints(mixed));
    expect(plots.map(([question, points]) => [question, points.map((p) => [p.mean, p.lower])])).toEqual([
      ['relatedness', [[0.25, 0.25]]],
      ['coherence', [[4, null]]],
    ]);
  });
});

describe('CSV of plot data', () => {
  it('writes a header, quotes what needs it, and neutralises formulas', () => {
    const text = toCsv(
      [
        { series: 'layer 10', k: 0, label: '=HYPERLINK("x")', note: 'a, b' },
        { series: 'layer 20', k: 5, label: null, note: 'two\nlines' },
      ],
      ['series', 'k', 'label', 'note'],
    );
    expect(text.startsWith('series,k,label,note\r\n')).toBe(true);
    expect(parse(text, { columns: true })).toEqual([
      { series: 'layer 10', k: '0', label: `'=HYPERLINK("x")`, note: 'a, b' },
      { series: 'layer 20', k: '5', label: '', note: 'two\nlines' },
    ]);
  });

  it('round-trips the dose-response rows', () => {
    const rows = dosePoints(steering.byLayer);
    const back = parse(toCsv(rows, ['series', 'k', 'n', 'successes', 'rate', 'lower', 'upper']), {
      columns: true,
      cast: true,
    }) as Record<string, unknown>[];
    expect(back.map((row) => row.rate)).toEqual(rows.map((row) => row.rate));
  });

  it('makes safe file names', () => {
    expect(fileStem('Line of Sight: study 1', 'results')).toBe('Line_of_Sight_study_1-results');
    expect(fileStem('../..', 'x')).toBe('campaign-x');
  });
});

describe('feature plot data', () => {
  const features: FeatureResults = {
    labelQuestionId: 'label',
    coverage: { features: 3, withLabel: 2, withMajorityLabel: 1 },
    scoreDistribution: {
      questionId: 'interpretability',
      min: 1,
      max: 3,
      counts: [
        { score: 1, count: 0 },
        { score: 2, count: 3 },
        { score: 3, count: 1 },
      ],
      ratings: 4,
      mean: 2.25,
      median: 2,
      featureMeans: [2, 2.5],
    },
    modality: {
      questionId: 'modality',
      votes: ['image', 'text'],
      mined: ['image', 'text'],
      counts: [
        [3, 1],
        [0, 0],
      ],
      featuresCompared: 1,
      majorityMatchesMined: 1,
      mapping: {},
    },
    features: [],
  };

  it('turns the score distribution into bins and the modality table into shares per mined row', () => {
    expect(scoreBins(features)).toEqual([
      { score: 1, count: 0 },
      { score: 2, count: 3 },
      { score: 3, count: 1 },
    ]);
    expect(modalityCells(features)).toEqual([
      { mined: 'image', vote: 'image', count: 3, share: 0.75 },
      { mined: 'image', vote: 'text', count: 1, share: 0.25 },
      { mined: 'text', vote: 'image', count: 0, share: 0 },
      { mined: 'text', vote: 'text', count: 0, share: 0 },
    ]);
    expect(modalityCells(null)).toEqual([]);
  });
});

describe('table and progress text', () => {
  it('writes alpha with its interval, naming the metric when there are several', () => {
    const base = {
      questionId: 'q',
      type: 'scale' as const,
      prompt: '',
      ratings: 1,
      units: 1,
      raters: 1,
      normalisation: null,
      fleissKappa: null,
      fleissReason: null,
      meanCohenKappa: null,
      cohenPairs: 0,
      cohenByPair: [],
      cohenReason: null,
      percentAgreement: null,
      percentReason: null,
    };
    const alpha = (metric: 'ordinal' | 'interval', value: number | null) => ({
      metric,
      alpha: value,
      lower: value && value - 0.1,
      upper: value && value + 0.1,
      confidenceLevel: 0.95,
      pairableUnits: 3,
      reason: null,
    });
    expect(alphaText({ ...base, alpha: [alpha('ordinal', 0.5), alpha('interval', null)] })).toBe(
      'ordinal 0.500 [0.400, 0.600]; interval –',
    );
    expect(alphaText({ ...base, alpha: [alpha('interval', 0.25)] })).toBe('0.250 [0.150, 0.350]');
  });

  it('formats export progress with rate and ETA', () => {
    expect(exportProgressText({ done: 12_000, total: 50_000, ratePerSecond: 230_000.4, etaSeconds: 0.2 })).toBe(
      '12,000 / 50,000 rows · 230,000 rows/s · ETA 1s',
    );
    expect(exportProgressText({ done: 0, total: null, ratePerSecond: null, etaSeconds: null })).toBe(
      '0 / ? rows · ETA –',
    );
    expect(etaText(125)).toBe('2m 05s');
  });
});
