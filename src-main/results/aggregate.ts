// Label aggregation: majority vote, Dawid–Skene EM, and per-rater reliability. Pure functions over
// the same flat ratings that agreement.ts takes; no I/O.

import { AppError } from '../util/errors';
import { hashSeed, mulberry32, randomIndex } from '../util/random';
import {
  compareRatingValues,
  groupRatingsByUnit,
  type Rating,
  type RaterId,
  type RatingValue,
  type UnitId,
} from './agreement';

// ---------------------------------------------------------------------------------------------
// Majority vote

export interface MajorityOptions {
  /**
   * Without a seed a tie stays unresolved (`label: null`), so no arbitrary answer leaks into a
   * dataset unannounced. With one, each tied unit picks among its tied labels with a PRNG seeded
   * by (seed, unit), so the pick does not depend on the order units arrive in.
   */
  tieBreakSeed?: number;
}

export interface MajorityVote {
  unit: UnitId;
  /** The winning label; null only for a tie with no tieBreakSeed. */
  label: RatingValue | null;
  /** Every label with the top vote count, sorted; one entry unless tied. */
  labels: RatingValue[];
  tie: boolean;
  tieBrokenBySeed: boolean;
  votes: number;
  totalVotes: number;
}

export function majorityVote(ratings: readonly Rating[], options: MajorityOptions = {}): MajorityVote[] {
  const byUnit = groupRatingsByUnit(ratings, 'Majority vote');
  return [...byUnit].map(([unit, unitRatings]) => {
    const counts = countValues(unitRatings.map((rating) => rating.value));
    const votes = Math.max(...counts.values());
    const labels = [...counts]
      .filter(([, count]) => count === votes)
      .map(([label]) => label)
      .sort(compareRatingValues);
    const tie = labels.length > 1;
    let label: RatingValue | null = labels[0];
    if (tie)
      label =
        options.tieBreakSeed === undefined
          ? null
          : labels[randomIndex(labels.length, mulberry32(hashSeed(options.tieBreakSeed, unit)))];
    return { unit, label, labels, tie, tieBrokenBySeed: tie && label !== null, votes, totalVotes: unitRatings.length };
  });
}

// ---------------------------------------------------------------------------------------------
// Dawid–Skene

export interface DawidSkeneOptions {
  /** The label set; defaults to the labels seen. Pass it when some class may never be chosen. */
  classes?: readonly RatingValue[];
  maxIterations?: number;
  /** Stop when no unit's posterior moves by more than this between iterations. */
  tolerance?: number;
  /**
   * Pseudo-count added to every confusion cell and class count in the M-step. Without it a label
   * a rater never gave for some class gets probability 0, and one such rating would rule that
   * class out for a unit forever, whatever the other raters say.
   */
  smoothing?: number;
}

export interface RaterConfusion {
  rater: RaterId;
  /** confusion[trueClass][givenLabel] = P(rater gives label | true class); rows sum to 1, indices follow `classes`. */
  confusion: number[][];
  ratings: number;
}

export interface UnitPosterior {
  unit: UnitId;
  /** P(true class | all ratings of the unit), aligned with `classes`. */
  posterior: number[];
  /** The class with the highest posterior (the first in `classes` order on an exact tie). */
  label: RatingValue;
}

export interface DawidSkeneResult {
  classes: RatingValue[];
  priors: number[];
  raters: RaterConfusion[];
  units: UnitPosterior[];
  iterations: number;
  converged: boolean;
  /** Marginal log-likelihood of the ratings under the final parameters. */
  logLikelihood: number;
}

/**
 * Dawid & Skene (1979), "Maximum likelihood estimation of observer error-rates using the EM
 * algorithm". Each rater has a confusion matrix; the true class of each unit is latent. We start
 * from the soft majority vote (vote shares as posteriors), as Dawid and Skene do, because EM only
 * finds a local optimum and the majority is the start most likely to sit in the right basin
 * (with a random start, "class 1" might converge to meaning class 2).
 */
export function dawidSkene(ratings: readonly Rating[], options: DawidSkeneOptions = {}): DawidSkeneResult {
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-6;
  const smoothing = options.smoothing ?? 0.01;
  if (!(smoothing >= 0)) throw invalid(`Dawid–Skene: smoothing must be >= 0, got ${smoothing}`);
  const byUnit = groupRatingsByUnit(ratings, 'Dawid–Skene');
  const classes = options.classes
    ? [...options.classes]
    : [...new Set(ratings.map((rating) => rating.value))].sort(compareRatingValues);
  const classIndex = new Map(classes.map((label, index) => [label, index]));
  const unknown = ratings.find((rating) => !classIndex.has(rating.value));
  if (unknown)
    throw invalid(
      `Dawid–Skene: rater ${String(unknown.rater)} gave the label ${JSON.stringify(unknown.value)}, which is not in options.classes`,
    );
  const raters = [...new Set(ratings.map((rating) => rating.rater))].sort(compareRatingValues);
  const raterIndex = new Map(raters.map((rater, index) => [rater, index]));
  const units = [...byUnit.keys()];
  const K = classes.length;

  // Observations per unit as (rater index, label index), built once.
  const observations = units.map((unit) =>
    (byUnit.get(unit) ?? []).map(({ rater, value }) => ({
      rater: raterIndex.get(rater) as number,
      label: classIndex.get(value) as number,
    })),
  );
  let posteriors = observations.map((unitObservations) => {
    const shares = new Array<number>(K).fill(0);
    for (const { label } of unitObservations) shares[label] += 1 / unitObservations.length;
    return shares;
  });

  let priors: number[] = [];
  let confusions: number[][][] = [];
  let logLikelihood = Number.NEGATIVE_INFINITY;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    iterations += 1;
    ({ priors, confusions } = maximise(posteriors, observations, raters.length, K, smoothing));
    const expected = expect(priors, confusions, observations);
    const largestChange = largestDifference(expected.posteriors, posteriors);
    posteriors = expected.posteriors;
    logLikelihood = expected.logLikelihood;
    converged = largestChange < tolerance;
  }

  const ratingsPerRater = new Array<number>(raters.length).fill(0);
  for (const unitObservations of observations) for (const { rater } of unitObservations) ratingsPerRater[rater] += 1;
  return {
    classes,
    priors,
    raters: raters.map((rater, r) => ({ rater, confusion: confusions[r], ratings: ratingsPerRater[r] })),
    units: units.map((unit, u) => ({ unit, posterior: posteriors[u], label: classes[argmax(posteriors[u])] })),
    iterations,
    converged,
    logLikelihood,
  };
}

type Observation = { rater: number; label: number };

/** M-step: smoothed maximum-likelihood priors and confusion matrices given soft class assignments. */
function maximise(
  posteriors: number[][],
  observations: Observation[][],
  raterCount: number,
  K: number,
  smoothing: number,
) {
  const classTotals = new Array<number>(K).fill(smoothing);
  const counts = Array.from({ length: raterCount }, () =>
    Array.from({ length: K }, () => new Array<number>(K).fill(smoothing)),
  );
  posteriors.forEach((posterior, u) => {
    for (let k = 0; k < K; k++) classTotals[k] += posterior[k];
    for (const { rater, label } of observations[u]) for (let k = 0; k < K; k++) counts[rater][k][label] += posterior[k];
  });
  const priors = normalise(classTotals);
  // A row with no mass and no smoothing (a class nobody is believed to hold) stays uniform, not 0/0.
  const confusions = counts.map((matrix) =>
    matrix.map((row) => (row.some((count) => count > 0) ? normalise(row) : row.map(() => 1 / K))),
  );
  return { priors, confusions };
}

/** E-step in log space, so units with many ratings do not underflow. */
function expect(priors: number[], confusions: number[][][], observations: Observation[][]) {
  let logLikelihood = 0;
  const posteriors = observations.map((unitObservations) => {
    const logJoint = priors.map((prior, k) => {
      let total = Math.log(prior);
      for (const { rater, label } of unitObservations) total += Math.log(confusions[rater][k][label]);
      return total;
    });
    const peak = Math.max(...logJoint);
    const weights = logJoint.map((value) => Math.exp(value - peak));
    const mass = weights.reduce((a, b) => a + b, 0);
    logLikelihood += peak + Math.log(mass);
    return weights.map((weight) => weight / mass);
  });
  return { posteriors, logLikelihood };
}

// ---------------------------------------------------------------------------------------------
// Rater reliability

/** A rating with the active time the rater's screen measured for it (not wall time). */
export interface TimedRating extends Rating {
  activeMs?: number | null;
}

export interface RaterReliabilityOptions {
  /** Known answers of gold units. */
  gold?: ReadonlyMap<UnitId, RatingValue>;
  /** The aggregate label per unit; build it with consensusFromMajority or consensusFromDawidSkene. */
  consensus?: ReadonlyMap<UnitId, RatingValue>;
  /**
   * The label each rating is compared with, per rating; wins over `consensus`. majorityOfOthers
   * builds one that leaves the rater's own vote out (issue 15).
   */
  consensusFor?: (rating: Rating) => RatingValue | undefined;
  /** A rater is flagged when their median active time is below this fraction of the overall median. */
  fastFraction?: number;
}

export interface RaterReliability {
  rater: RaterId;
  ratings: number;
  goldRatings: number;
  /** null when the rater rated no gold unit. */
  goldAccuracy: number | null;
  consensusRatings: number;
  /**
   * Share of the rater's ratings that match the consensus. With a `consensus` map that includes
   * the rater's own vote it is biased upwards at few raters per unit; majorityOfOthers avoids that.
   */
  consensusAgreement: number | null;
  medianActiveMs: number | null;
  tooFast: boolean;
}

export interface RaterReliabilityReport {
  raters: RaterReliability[];
  /** Median over every timed rating pooled, so prolific raters weigh in proportion to their work. */
  overallMedianActiveMs: number | null;
  fastThresholdMs: number | null;
}

export function raterReliability(
  ratings: readonly TimedRating[],
  options: RaterReliabilityOptions = {},
): RaterReliabilityReport {
  if (ratings.length === 0) throw invalid('Rater reliability: no ratings were given');
  const fastFraction = options.fastFraction ?? 0.3;
  const byRater = new Map<RaterId, TimedRating[]>();
  for (const rating of ratings) {
    const list = byRater.get(rating.rater);
    if (list) list.push(rating);
    else byRater.set(rating.rater, [rating]);
  }
  const overallMedianActiveMs = median(ratings.flatMap(activeTime));
  const fastThresholdMs = overallMedianActiveMs === null ? null : overallMedianActiveMs * fastFraction;
  const raters = [...byRater.keys()].sort(compareRatingValues).map((rater): RaterReliability => {
    const own = byRater.get(rater) as TimedRating[];
    const gold = matchRate(own, (rating) => options.gold?.get(rating.unit));
    const reference = options.consensus;
    const consensus = matchRate(own, options.consensusFor ?? ((rating) => reference?.get(rating.unit)));
    const medianActiveMs = median(own.flatMap(activeTime));
    return {
      rater,
      ratings: own.length,
      goldRatings: gold.compared,
      goldAccuracy: gold.rate,
      consensusRatings: consensus.compared,
      consensusAgreement: consensus.rate,
      medianActiveMs,
      tooFast: medianActiveMs !== null && fastThresholdMs !== null && medianActiveMs < fastThresholdMs,
    };
  });
  return { raters, overallMedianActiveMs, fastThresholdMs };
}

/** Resolved majority labels; unresolved ties are left out rather than counted against anyone. */
export function consensusFromMajority(votes: readonly MajorityVote[]): Map<UnitId, RatingValue> {
  return new Map(votes.flatMap((vote) => (vote.label === null ? [] : [[vote.unit, vote.label] as const])));
}

export function consensusFromDawidSkene(result: DawidSkeneResult): Map<UnitId, RatingValue> {
  return new Map(result.units.map((unit) => [unit.unit, unit.label] as const));
}

/**
 * For each rating, the majority label among the other raters of its unit: a rater's own vote never
 * makes the majority they are scored against. Ties among the others, and units nobody else rated,
 * give undefined (not compared), as unresolved ties do in consensusFromMajority.
 */
export function majorityOfOthers(ratings: readonly Rating[]): (rating: Rating) => RatingValue | undefined {
  const byUnit = ratings.length ? groupRatingsByUnit(ratings, 'Majority of other raters') : new Map<UnitId, Rating[]>();
  return (rating) => {
    const others = (byUnit.get(rating.unit) ?? []).filter((other) => other.rater !== rating.rater);
    if (others.length === 0) return undefined;
    const counts = countValues(others.map((other) => other.value));
    const top = Math.max(...counts.values());
    const leaders = [...counts].filter(([, count]) => count === top);
    return leaders.length === 1 ? leaders[0][0] : undefined;
  };
}

function matchRate(ratings: readonly Rating[], reference: (rating: Rating) => RatingValue | undefined) {
  let compared = 0;
  let matched = 0;
  for (const rating of ratings) {
    const { value } = rating;
    const expected = reference(rating);
    if (expected === undefined) continue;
    compared += 1;
    if (expected === value) matched += 1;
  }
  return { compared, rate: compared > 0 ? matched / compared : null };
}

function activeTime(rating: TimedRating): number[] {
  return typeof rating.activeMs === 'number' && Number.isFinite(rating.activeMs) ? [rating.activeMs] : [];
}

// ---------------------------------------------------------------------------------------------

function countValues(values: readonly RatingValue[]): Map<RatingValue, number> {
  const counts = new Map<RatingValue, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function normalise(values: number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((value) => value / total);
}

// A loop, not Math.max(...spread): the spread overflows the argument limit on large campaigns.
function largestDifference(next: number[][], previous: number[][]): number {
  let largest = 0;
  next.forEach((row, u) => row.forEach((value, k) => (largest = Math.max(largest, Math.abs(value - previous[u][k])))));
  return largest;
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function invalid(message: string): AppError {
  return new AppError('invalid_input', message);
}
