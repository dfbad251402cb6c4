// Inter-rater agreement: Krippendorff's alpha (with a unit bootstrap), Fleiss' kappa, pairwise
// Cohen's kappa and percent agreement. Pure functions over a flat list of ratings; no I/O.
//
// Statistics that are 0/0 (every value in the data is the same, so chance agreement is already
// perfect) come back as `null`, never NaN and never 1: the data cannot tell a reliable
// instrument from a constant one, and null survives JSON export where NaN does not. Krippendorff
// (2011, "Computing Krippendorff's Alpha-Reliability") likewise leaves alpha undefined without
// variation. Input that no statistic can be computed from (no ratings, one rater) throws.

import { AppError } from '../util/errors';
import { mulberry32, randomIndex } from '../util/random';

export type RatingValue = number | string;
export type UnitId = number | string;
export type RaterId = number | string;

/** One judgement reduced to what agreement needs: which unit (item), who, and the answer. */
export interface Rating {
  unit: UnitId;
  rater: RaterId;
  value: RatingValue;
}

export interface UnitRating {
  rater: RaterId;
  value: RatingValue;
}

// ---------------------------------------------------------------------------------------------
// Input

/**
 * Converts Krippendorff's canonical layout (one row per rater, one column per unit, null where a
 * rater did not rate a unit) into ratings. Rater ids default to the row index, unit ids to the
 * column index.
 */
export function ratingsFromRaterMatrix(
  matrix: ReadonlyArray<ReadonlyArray<RatingValue | null | undefined>>,
  ids: { raters?: readonly RaterId[]; units?: readonly UnitId[] } = {},
): Rating[] {
  if (ids.raters && ids.raters.length !== matrix.length) {
    throw invalid(`ratingsFromRaterMatrix: ${matrix.length} rows but ${ids.raters.length} rater ids`);
  }
  const ratings: Rating[] = [];
  matrix.forEach((row, rowIndex) => {
    if (ids.units && row.length > ids.units.length) {
      throw invalid(
        `ratingsFromRaterMatrix: row ${rowIndex} has ${row.length} columns but only ${ids.units.length} unit ids`,
      );
    }
    row.forEach((value, column) => {
      if (value === null || value === undefined) return;
      ratings.push({ rater: ids.raters?.[rowIndex] ?? rowIndex, unit: ids.units?.[column] ?? column, value });
    });
  });
  return ratings;
}

/**
 * Groups ratings by unit, in first-seen order, and rejects what would silently skew a statistic:
 * no ratings at all, non-finite numbers, and two ratings by one rater on one unit (judgements are
 * append-only, so the caller must pass only the latest, unsuperseded one).
 */
export function groupRatingsByUnit(ratings: readonly Rating[], statistic: string): Map<UnitId, UnitRating[]> {
  if (ratings.length === 0)
    throw invalid(`${statistic}: no ratings were given; at least one unit rated by two raters is needed`);
  const byUnit = new Map<UnitId, UnitRating[]>();
  for (const { unit, rater, value } of ratings) {
    // Ratings often come from parsed JSON answers, so the declared type is checked at run time too.
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw invalid(
        `${statistic}: rater ${show(rater)} gave unit ${show(unit)} the value ${String(value)}; expected a finite number or a string`,
      );
    }
    let unitRatings = byUnit.get(unit);
    if (!unitRatings) byUnit.set(unit, (unitRatings = []));
    if (unitRatings.some((earlier) => earlier.rater === rater)) {
      throw invalid(
        `${statistic}: rater ${show(rater)} rated unit ${show(unit)} twice; pass only the latest (unsuperseded) judgement`,
      );
    }
    unitRatings.push({ rater, value });
  }
  return byUnit;
}

/** A total order over values: numbers numerically, then strings by code unit. Used so results do not depend on input order. */
export function compareRatingValues(a: RatingValue, b: RatingValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function distinctSorted(values: Iterable<RatingValue>): RatingValue[] {
  return [...new Set(values)].sort(compareRatingValues);
}

// ---------------------------------------------------------------------------------------------
// Krippendorff's alpha

export type AlphaMetric = 'nominal' | 'ordinal' | 'interval';

export interface AlphaOptions {
  metric: AlphaMetric;
  /** Category order for ordinal string labels (e.g. Likert wording). Numbers sort numerically without it. */
  order?: readonly RatingValue[];
}

export interface AlphaResult {
  metric: AlphaMetric;
  /** null when expected disagreement is 0 (all pairable values identical): see the file header. */
  alpha: number | null;
  observedDisagreement: number;
  expectedDisagreement: number;
  /** n.. in Krippendorff's notation: values in units with at least two values. */
  pairableValues: number;
  pairableUnits: number;
  categories: RatingValue[];
}

/** Ratings reduced to category indices, keeping only units with two or more values. */
interface AlphaData {
  metric: AlphaMetric;
  categories: RatingValue[];
  /** Numeric value of each category; used by the interval metric. */
  categoryNumbers: number[];
  /** Per pairable unit, its contribution to the coincidence matrix as (flat cell, weight) lists. */
  unitCells: Array<{ cells: number[]; weights: number[] }>;
}

export function krippendorffAlpha(ratings: readonly Rating[], options: AlphaOptions): AlphaResult {
  return alphaFromData(prepareAlphaData(ratings, options));
}

function alphaFromData(data: AlphaData): AlphaResult {
  const size = data.categories.length;
  const coincidence = new Float64Array(size * size);
  for (const unit of data.unitCells) addUnit(coincidence, unit);
  return {
    ...alphaFromCoincidence(coincidence, data),
    pairableUnits: data.unitCells.length,
    categories: data.categories,
  };
}

function prepareAlphaData(ratings: readonly Rating[], options: AlphaOptions): AlphaData {
  const statistic = `Krippendorff's alpha (${options.metric})`;
  const byUnit = groupRatingsByUnit(ratings, statistic);
  const pairable = [...byUnit.values()].filter((unitRatings) => unitRatings.length >= 2);
  if (pairable.length === 0) {
    const raters = new Set(ratings.map((rating) => rating.rater)).size;
    throw invalid(
      `${statistic}: no unit was rated by two or more raters (${ratings.length} ratings from ${raters} rater(s)); agreement needs overlap`,
    );
  }
  const categories = alphaCategories(
    pairable.flat().map((rating) => rating.value),
    options,
    statistic,
  );
  const indexOf = new Map(categories.map((category, index) => [category, index]));
  const size = categories.length;
  // Unit u adds n_uc * (n_uk - [c = k]) / (m_u - 1) to o_ck: every ordered pair of values from
  // different raters, weighted so that each unit contributes exactly m_u values in total.
  const unitCells = pairable.map((unitRatings) => {
    const counts = new Map<number, number>();
    for (const { value } of unitRatings) {
      const index = indexOf.get(value) as number;
      counts.set(index, (counts.get(index) ?? 0) + 1);
    }
    const cells: number[] = [];
    const weights: number[] = [];
    for (const [c, countC] of counts) {
      for (const [k, countK] of counts) {
        const pairs = countC * (c === k ? countK - 1 : countK);
        if (pairs > 0) {
          cells.push(c * size + k);
          weights.push(pairs / (unitRatings.length - 1));
        }
      }
    }
    return { cells, weights };
  });
  const categoryNumbers = categories.map((category) => (typeof category === 'number' ? category : Number.NaN));
  return { metric: options.metric, categories, categoryNumbers, unitCells };
}

function alphaCategories(values: RatingValue[], options: AlphaOptions, statistic: string): RatingValue[] {
  const observed = distinctSorted(values);
  if (options.metric === 'nominal') return observed;
  if (options.metric === 'ordinal' && options.order) {
    const order = [...options.order];
    if (new Set(order).size !== order.length) throw invalid(`${statistic}: options.order lists a category twice`);
    const missing = observed.filter((value) => !order.includes(value));
    if (missing.length > 0) {
      throw invalid(
        `${statistic}: values ${missing.map(show).join(', ')} are not in options.order [${order.map(show).join(', ')}]`,
      );
    }
    // Unused categories have zero marginals, so they change no distance; keeping them is harmless.
    return order;
  }
  const text = observed.find((value) => typeof value === 'string');
  if (text !== undefined) {
    const hint = options.metric === 'ordinal' ? '; pass options.order to rank string labels' : '';
    throw invalid(`${statistic}: the value ${show(text)} is not a number${hint}`);
  }
  return observed;
}

function addUnit(coincidence: Float64Array, unit: { cells: number[]; weights: number[] }): void {
  for (let i = 0; i < unit.cells.length; i++) coincidence[unit.cells[i]] += unit.weights[i];
}

function alphaFromCoincidence(
  coincidence: Float64Array,
  data: AlphaData,
): Pick<AlphaResult, 'metric' | 'alpha' | 'observedDisagreement' | 'expectedDisagreement' | 'pairableValues'> {
  const size = data.categories.length;
  const marginals = new Float64Array(size);
  for (let c = 0; c < size; c++) for (let k = 0; k < size; k++) marginals[c] += coincidence[c * size + k];
  const total = marginals.reduce((sum, count) => sum + count, 0);
  const distance = distanceFunction(data, marginals);
  let observedSum = 0;
  let expectedSum = 0;
  for (let c = 0; c < size; c++) {
    for (let k = 0; k < size; k++) {
      if (c === k) continue; // every metric has zero distance on the diagonal
      const squaredDistance = distance(c, k);
      observedSum += coincidence[c * size + k] * squaredDistance;
      expectedSum += marginals[c] * marginals[k] * squaredDistance;
    }
  }
  const observedDisagreement = observedSum / total;
  const expectedDisagreement = expectedSum / (total * (total - 1));
  const alpha = expectedDisagreement === 0 ? null : 1 - observedDisagreement / expectedDisagreement;
  return { metric: data.metric, alpha, observedDisagreement, expectedDisagreement, pairableValues: Math.round(total) };
}

/** The squared difference function delta^2_ck of Krippendorff (2011) for the chosen metric. */
function distanceFunction(data: AlphaData, marginals: Float64Array): (c: number, k: number) => number {
  if (data.metric === 'nominal') return () => 1;
  if (data.metric === 'interval') return (c, k) => (data.categoryNumbers[c] - data.categoryNumbers[k]) ** 2;
  // Ordinal: the distance between ranks is the number of values lying between them, counting
  // the two end categories only half, so it depends on the data's own marginals n_g.
  const before = new Float64Array(marginals.length + 1);
  for (let g = 0; g < marginals.length; g++) before[g + 1] = before[g] + marginals[g];
  return (c, k) => {
    const low = Math.min(c, k);
    const high = Math.max(c, k);
    const between = before[high + 1] - before[low] - (marginals[low] + marginals[high]) / 2;
    return between * between;
  };
}

export interface AlphaBootstrapOptions extends AlphaOptions {
  /** Resamples to draw; 1000 gives stable 95% percentile bounds to about two decimals. */
  replicates?: number;
  seed?: number;
  confidenceLevel?: number;
}

export interface AlphaInterval extends AlphaResult {
  /** Percentile bounds; null when no resample had a defined alpha. */
  lower: number | null;
  upper: number | null;
  confidenceLevel: number;
  replicates: number;
  /** Resamples whose alpha was undefined (no variation) and so were left out of the bounds. */
  undefinedReplicates: number;
  seed: number;
}

/**
 * Percentile bootstrap for alpha that resamples units (items) with replacement. Units are what a
 * campaign samples, and the values inside one unit are not independent, so they are kept
 * together. This differs from Hayes & Krippendorff (2007), who resample pairable values under a
 * fixed coincidence matrix; both are approximate, and ours is the one that matches our design.
 * Each resample keeps the full data's categories, so the ordinal ranks are recomputed from the
 * resampled marginals exactly as alpha itself would be.
 */
export function bootstrapAlpha(ratings: readonly Rating[], options: AlphaBootstrapOptions): AlphaInterval {
  const replicates = options.replicates ?? 1000;
  const seed = options.seed ?? 1;
  const confidenceLevel = options.confidenceLevel ?? 0.95;
  if (!Number.isInteger(replicates) || replicates < 1)
    throw invalid(`bootstrapAlpha: replicates must be a positive integer, got ${replicates}`);
  if (!(confidenceLevel > 0 && confidenceLevel < 1))
    throw invalid(`bootstrapAlpha: confidenceLevel must be in (0, 1), got ${confidenceLevel}`);
  const data = prepareAlphaData(ratings, options);
  const point = alphaFromData(data);
  const rng = mulberry32(seed);
  const size = data.categories.length;
  const unitCount = data.unitCells.length;
  const alphas: number[] = [];
  const coincidence = new Float64Array(size * size);
  for (let replicate = 0; replicate < replicates; replicate++) {
    coincidence.fill(0);
    for (let draw = 0; draw < unitCount; draw++) addUnit(coincidence, data.unitCells[randomIndex(unitCount, rng)]);
    const { alpha } = alphaFromCoincidence(coincidence, data);
    if (alpha !== null) alphas.push(alpha);
  }
  alphas.sort((a, b) => a - b);
  const tail = (1 - confidenceLevel) / 2;
  return {
    ...point,
    lower: alphas.length > 0 ? quantileOfSorted(alphas, tail) : null,
    upper: alphas.length > 0 ? quantileOfSorted(alphas, 1 - tail) : null,
    confidenceLevel,
    replicates,
    undefinedReplicates: replicates - alphas.length,
    seed,
  };
}

/** Linear interpolation between order statistics (R's type 7, numpy's default). */
function quantileOfSorted(sorted: readonly number[], probability: number): number {
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

// ---------------------------------------------------------------------------------------------
// Fleiss' kappa

export interface FleissResult {
  /** null when every rating falls in one category (expected agreement is 1). */
  kappa: number | null;
  ratersPerUnit: number;
  /** P-bar: mean over units of the share of agreeing rater pairs. */
  meanUnitAgreement: number;
  /** P-bar_e: sum of squared category proportions. */
  expectedAgreement: number;
  categories: RatingValue[];
  /** p_j, aligned with `categories`. */
  categoryProportions: number[];
  units: UnitId[];
  /** P_i, aligned with `units`. */
  unitAgreement: number[];
}

/**
 * Fleiss (1971) needs the same number of ratings on every unit (not the same raters). We refuse
 * unequal counts rather than generalise, because the generalisations disagree with each other;
 * Krippendorff's alpha (nominal) is the statistic for unbalanced designs.
 */
export function fleissKappa(ratings: readonly Rating[]): FleissResult {
  const byUnit = groupRatingsByUnit(ratings, "Fleiss' kappa");
  const categories = distinctSorted(ratings.map((rating) => rating.value));
  const indexOf = new Map(categories.map((category, index) => [category, index]));
  const units = [...byUnit.keys()];
  const counts = units.map((unit) => {
    const row = new Array<number>(categories.length).fill(0);
    for (const { value } of byUnit.get(unit) as UnitRating[]) row[indexOf.get(value) as number] += 1;
    return row;
  });
  const expected = (byUnit.get(units[0]) as UnitRating[]).length;
  const uneven = units.find((unit) => (byUnit.get(unit) as UnitRating[]).length !== expected);
  if (uneven !== undefined) {
    throw invalid(
      `Fleiss' kappa: unit ${show(units[0])} has ${expected} ratings but unit ${show(uneven)} has ` +
        `${(byUnit.get(uneven) as UnitRating[]).length}; every unit needs the same number. Use Krippendorff's alpha (nominal) for unequal counts.`,
    );
  }
  return fleissFromTable(counts, categories, units);
}

/** Fleiss' kappa from a units x categories table of rating counts, as Fleiss (1971) tabulates it. */
export function fleissKappaFromCounts(
  counts: ReadonlyArray<readonly number[]>,
  categories?: readonly RatingValue[],
): FleissResult {
  if (counts.length === 0) throw invalid("Fleiss' kappa: the count table has no rows");
  const width = counts[0].length;
  const labels = categories ? [...categories] : Array.from({ length: width }, (_, index) => index);
  if (labels.length !== width) throw invalid(`Fleiss' kappa: ${width} count columns but ${labels.length} categories`);
  counts.forEach((row, index) => {
    if (row.length !== width) throw invalid(`Fleiss' kappa: row ${index} has ${row.length} columns, expected ${width}`);
    if (row.some((count) => !Number.isInteger(count) || count < 0))
      throw invalid(`Fleiss' kappa: row ${index} has a count that is not a non-negative integer`);
  });
  const expected = sum(counts[0]);
  const uneven = counts.findIndex((row) => sum(row) !== expected);
  if (uneven >= 0)
    throw invalid(
      `Fleiss' kappa: row 0 sums to ${expected} ratings but row ${uneven} sums to ${sum(counts[uneven])}; every unit needs the same number`,
    );
  return fleissFromTable(
    counts,
    labels,
    counts.map((_, index) => index),
  );
}

function fleissFromTable(
  counts: ReadonlyArray<readonly number[]>,
  categories: RatingValue[],
  units: UnitId[],
): FleissResult {
  const raters = sum(counts[0]);
  if (raters < 2) throw invalid(`Fleiss' kappa: each unit has ${raters} rating(s); at least 2 per unit are needed`);
  const unitAgreement = counts.map(
    (row) => (sum(row.map((count) => count * count)) - raters) / (raters * (raters - 1)),
  );
  const categoryProportions = categories.map((_, j) => sum(counts.map((row) => row[j])) / (counts.length * raters));
  const meanUnitAgreement = sum(unitAgreement) / unitAgreement.length;
  const expectedAgreement = sum(categoryProportions.map((proportion) => proportion * proportion));
  const kappa = expectedAgreement === 1 ? null : (meanUnitAgreement - expectedAgreement) / (1 - expectedAgreement);
  return {
    kappa,
    ratersPerUnit: raters,
    meanUnitAgreement,
    expectedAgreement,
    categories,
    categoryProportions,
    units,
    unitAgreement,
  };
}

// ---------------------------------------------------------------------------------------------
// Cohen's kappa and percent agreement

export interface CohenResult {
  /** null when both raters used one and the same category throughout (expected agreement is 1). */
  kappa: number | null;
  observedAgreement: number;
  expectedAgreement: number;
  sharedUnits: number;
}

/** Cohen (1960) for two raters, from the pairs of values they gave the units both rated. */
export function cohenKappa(pairs: ReadonlyArray<readonly [RatingValue, RatingValue]>): CohenResult {
  if (pairs.length === 0) throw invalid("Cohen's kappa: no units were rated by both raters");
  const first = new Map<RatingValue, number>();
  const second = new Map<RatingValue, number>();
  let agreeing = 0;
  for (const [a, b] of pairs) {
    first.set(a, (first.get(a) ?? 0) + 1);
    second.set(b, (second.get(b) ?? 0) + 1);
    if (a === b) agreeing += 1;
  }
  const n = pairs.length;
  let expectedAgreement = 0;
  for (const [category, count] of first) expectedAgreement += (count / n) * ((second.get(category) ?? 0) / n);
  const observedAgreement = agreeing / n;
  const kappa = expectedAgreement === 1 ? null : (observedAgreement - expectedAgreement) / (1 - expectedAgreement);
  return { kappa, observedAgreement, expectedAgreement, sharedUnits: n };
}

export interface RaterPairAgreement extends CohenResult {
  raterA: RaterId;
  raterB: RaterId;
}

export interface PairwiseCohenResult {
  /** Every pair of raters with at least one shared unit; pairs with none carry no information and are left out. */
  pairs: RaterPairAgreement[];
  /** Unweighted mean over pairs with a defined kappa (Light's kappa, 1971); null if there is none. */
  meanKappa: number | null;
  /** Unweighted mean of the pairs' percent agreement; null if no pair shares a unit. */
  meanObservedAgreement: number | null;
}

export function pairwiseCohenKappa(ratings: readonly Rating[]): PairwiseCohenResult {
  const byUnit = groupRatingsByUnit(ratings, "Cohen's kappa");
  const raters = [...new Set(ratings.map((rating) => rating.rater))].sort(compareRatingValues);
  if (raters.length < 2)
    throw invalid(`Cohen's kappa: needs at least two raters, got ${raters.length} (${show(raters[0])})`);
  const valueByRater = new Map<RaterId, Map<UnitId, RatingValue>>(raters.map((rater) => [rater, new Map()]));
  for (const [unit, unitRatings] of byUnit)
    for (const { rater, value } of unitRatings) valueByRater.get(rater)?.set(unit, value);
  const pairs: RaterPairAgreement[] = [];
  for (let a = 0; a < raters.length; a++) {
    for (let b = a + 1; b < raters.length; b++) {
      const valuesA = valueByRater.get(raters[a]) as Map<UnitId, RatingValue>;
      const valuesB = valueByRater.get(raters[b]) as Map<UnitId, RatingValue>;
      const shared: Array<[RatingValue, RatingValue]> = [];
      for (const [unit, valueA] of valuesA) {
        const valueB = valuesB.get(unit);
        if (valueB !== undefined) shared.push([valueA, valueB]);
      }
      if (shared.length > 0) pairs.push({ raterA: raters[a], raterB: raters[b], ...cohenKappa(shared) });
    }
  }
  const kappas = pairs.flatMap((pair) => (pair.kappa === null ? [] : [pair.kappa]));
  return {
    pairs,
    meanKappa: kappas.length > 0 ? sum(kappas) / kappas.length : null,
    meanObservedAgreement: pairs.length > 0 ? sum(pairs.map((pair) => pair.observedAgreement)) / pairs.length : null,
  };
}

export interface PercentAgreementResult {
  /** Mean over units of the share of rater pairs on that unit who gave the same value. */
  agreement: number;
  pairableUnits: number;
}

/** Pairwise percent agreement, no chance correction; equals Fleiss' P-bar when rater counts are equal. */
export function percentAgreement(ratings: readonly Rating[]): PercentAgreementResult {
  const byUnit = groupRatingsByUnit(ratings, 'Percent agreement');
  const perUnit: number[] = [];
  for (const unitRatings of byUnit.values()) {
    const m = unitRatings.length;
    if (m < 2) continue;
    const counts = new Map<RatingValue, number>();
    for (const { value } of unitRatings) counts.set(value, (counts.get(value) ?? 0) + 1);
    let agreeingPairs = 0;
    for (const count of counts.values()) agreeingPairs += count * (count - 1);
    perUnit.push(agreeingPairs / (m * (m - 1)));
  }
  if (perUnit.length === 0) throw invalid('Percent agreement: no unit was rated by two or more raters');
  return { agreement: sum(perUnit) / perUnit.length, pairableUnits: perUnit.length };
}

// ---------------------------------------------------------------------------------------------

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function show(value: RatingValue | undefined): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function invalid(message: string): AppError {
  return new AppError('invalid_input', message);
}
