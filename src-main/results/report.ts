// A campaign's results, from the live (unsuperseded) judgements: agreement per question with
// bootstrap intervals, majority and Dawid–Skene labels, rater reliability, and for steering
// campaigns the dose-response of success against k, per layer and per class pair (issue 5).
// The statistics themselves live in agreement.ts / aggregate.ts; this file only shapes the data.
import type {
  AggregatedLabel,
  AlphaSummary,
  CampaignResults,
  DawidSkeneSummary,
  QuestionAgreement,
  RaterReliabilityRow,
  ResultValue,
  SteeringCurve,
  SteeringResults,
} from '../contract/results';
import type { QuestionSpec } from '../contract/types';
import { pairSidesKnown, type ShownJson } from '../util/shown-order';
import { iterateExportRows } from '../store/export-rows';
import { countCampaignItems, getCampaign } from '../store/campaigns';
import { parseJson, type Db } from '../store/db';
import { AppError } from '../util/errors';
import { dawidSkene, majorityOfOthers, majorityVote, raterReliability, type TimedRating } from './aggregate';
import {
  bootstrapAlpha,
  fleissKappa,
  pairwiseCohenKappa,
  percentAgreement,
  type AlphaMetric,
  type Rating,
} from './agreement';
import { detectionResults } from './detection-score';
import { featureResults } from './feature-results';
import { intruderResults } from './intruder-score';
import { pairwiseResults } from './pairwise-score';
import { meanInterval } from './mean-interval';
import { steeringMissingNote } from './steering-missing';
import { wilsonInterval } from './wilson';

export interface ResultsOptions {
  bootstrap?: { seed?: number; replicates?: number };
}

/** Attention checks and qualification items measure the rater, not the instrument: they are left out of agreement and labels. */
const AGREEMENT_KINDS = new Set(['normal', 'gold']);

interface LoadedJudgement {
  itemId: number;
  itemPosition: number;
  itemKind: string;
  hidden: Record<string, unknown>;
  rater: string;
  answer: Record<string, unknown>;
  activeMs: number;
}

interface LoadedJudgements {
  judgements: LoadedJudgement[];
  /** Left/right answers left out because the sides they name were not recorded (imports). */
  unknownSides: number;
}

function loadJudgements(db: Db, campaignId: number): LoadedJudgements {
  const hiddenByItem = new Map<number, Record<string, unknown>>();
  const out: LoadedJudgement[] = [];
  const counter = { unknownSides: 0 };
  for (const row of iterateExportRows(db, campaignId)) {
    let hidden = hiddenByItem.get(row.item_id);
    if (!hidden)
      hiddenByItem.set(
        row.item_id,
        (hidden = parseJson<Record<string, unknown>>(row.hidden_json, `items.hidden_json (item ${row.item_id})`) ?? {}),
      );
    const answer =
      parseJson<Record<string, unknown>>(row.answer_json, `judgements.answer_json (judgement ${row.judgement_id})`) ??
      {};
    const shown = parseJson<ShownJson>(row.shown_json, `judgements.shown_json (judgement ${row.judgement_id})`);
    out.push({
      itemId: row.item_id,
      itemPosition: row.item_position,
      itemKind: row.item_kind,
      hidden,
      rater: row.rater_pseudonym,
      answer: unswapPairAnswers(answer, shown, counter),
      activeMs: row.active_ms,
    });
  }
  return { judgements: out, unknownSides: counter.unknownSides };
}

/**
 * Pairwise A/B: sides are counterbalanced per rater, so "left" from one rater and "left" from
 * another may mean different texts. With one pair display, left/right answers are turned back into
 * the field shown on that side (e.g. "a" / "b") before anything is compared or aggregated.
 */
function unswapPairAnswers(
  answer: Record<string, unknown>,
  shown: ShownJson | null,
  counter: { unknownSides: number },
): Record<string, unknown> {
  if (!pairSidesKnown(shown)) {
    // An imported judgement whose file did not record the sides (issue 11): "left" names no text,
    // so it is left out rather than mapped through a guessed side; a tie still counts.
    const sided = Object.values(answer).some((value) => value === 'left' || value === 'right');
    if (sided) counter.unknownSides++;
    return sided
      ? Object.fromEntries(
          Object.entries(answer).map(([key, value]) => [key, value === 'left' || value === 'right' ? null : value]),
        )
      : answer;
  }
  const pair = shown?.pairs?.length === 1 ? shown.pairs[0] : null;
  if (!pair) return answer;
  const [left, right] = pair.swapped ? [pair.fields[1], pair.fields[0]] : [pair.fields[0], pair.fields[1]];
  return Object.fromEntries(
    Object.entries(answer).map(([key, value]) => [key, value === 'left' ? left : value === 'right' ? right : value]),
  );
}

/** The value agreement compares: text trimmed and lower-cased, numbers as numbers, blanks dropped. */
function ratingValue(question: QuestionSpec, raw: unknown): ResultValue | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (question.type === 'scale')
    return typeof raw === 'number' ? raw : Number.isFinite(Number(raw)) ? Number(raw) : null;
  if (question.type === 'text') return String(raw).trim().toLowerCase() || null;
  if (question.type === 'multi') return JSON.stringify((Array.isArray(raw) ? raw.map(String) : [String(raw)]).sort());
  return String(raw);
}

function attempt<T>(compute: () => T): { value: T | null; reason: string | null } {
  try {
    return { value: compute(), reason: null };
  } catch (error) {
    if (error instanceof AppError) return { value: null, reason: error.message };
    throw error;
  }
}

function alphaSummary(ratings: Rating[], metric: AlphaMetric, seed: number, replicates: number): AlphaSummary {
  const result = attempt(() => bootstrapAlpha(ratings, { metric, seed, replicates }));
  if (!result.value)
    return {
      metric,
      alpha: null,
      lower: null,
      upper: null,
      confidenceLevel: 0.95,
      pairableUnits: 0,
      reason: result.reason,
    };
  const interval = result.value;
  return {
    metric,
    alpha: interval.alpha,
    lower: interval.lower,
    upper: interval.upper,
    confidenceLevel: interval.confidenceLevel,
    pairableUnits: interval.pairableUnits,
    reason:
      interval.alpha === null
        ? 'every pairable value is the same, so chance agreement is already perfect; alpha is undefined'
        : null,
  };
}

function questionAgreement(
  question: QuestionSpec,
  ratings: Rating[],
  seed: number,
  replicates: number,
): QuestionAgreement {
  const metrics: AlphaMetric[] = question.type === 'scale' ? ['ordinal', 'interval'] : ['nominal'];
  const fleiss = attempt(() => fleissKappa(ratings));
  const cohen = attempt(() => pairwiseCohenKappa(ratings));
  const percent = attempt(() => percentAgreement(ratings));
  return {
    questionId: question.id,
    type: question.type,
    prompt: question.prompt,
    ratings: ratings.length,
    units: new Set(ratings.map((rating) => rating.unit)).size,
    raters: new Set(ratings.map((rating) => rating.rater)).size,
    normalisation:
      question.type === 'text'
        ? 'trimmed, lower-cased'
        : question.type === 'multi'
          ? 'the selected set, compared as a whole'
          : null,
    alpha: metrics.map((metric) => alphaSummary(ratings, metric, seed, replicates)),
    fleissKappa: fleiss.value?.kappa ?? null,
    fleissReason:
      fleiss.reason ?? (fleiss.value && fleiss.value.kappa === null ? 'every rating is in one category' : null),
    meanCohenKappa: cohen.value?.meanKappa ?? null,
    cohenPairs: cohen.value?.pairs.length ?? 0,
    cohenByPair: (cohen.value?.pairs ?? []).map((pair) => ({
      raterA: String(pair.raterA),
      raterB: String(pair.raterB),
      items: pair.sharedUnits,
      kappa: pair.kappa,
      observedAgreement: pair.observedAgreement,
    })),
    cohenReason:
      cohen.reason ?? (cohen.value && cohen.value.meanKappa === null ? 'no rater pair has a defined kappa' : null),
    percentAgreement: percent.value?.agreement ?? null,
    percentReason: percent.reason,
  };
}

/** Gold answer for a question: hidden.gold may be {questionId: answer} or, for the first choice question, a bare answer. */
function goldFor(
  hidden: Record<string, unknown>,
  question: QuestionSpec,
  firstChoice: QuestionSpec | undefined,
): unknown {
  const gold = hidden.gold;
  if (gold === undefined || gold === null) return undefined;
  if (typeof gold === 'object' && !Array.isArray(gold)) return (gold as Record<string, unknown>)[question.id];
  return question === firstChoice ? gold : undefined;
}

/** Option values of a choice question when they are numbers (relatedness 0 / .25 / ... / 1); non-numeric extras such as "incoherent" are allowed. */
function numericOptionValues(question: QuestionSpec): number[] {
  if (question.type !== 'choice' || !question.options) return [];
  return question.options.map((option) => Number(option.value)).filter((value) => Number.isFinite(value));
}

/** A numeric answer (scale, or a graded choice's numeric option), else null ("incoherent", blanks). */
function numericAnswer(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

/** Graded relatedness counts as success from this value up: the answer is at least half about the target. */
const RELATED_THRESHOLD = 0.5;

function steeringResults(
  judgements: LoadedJudgement[],
  questions: QuestionSpec[],
  notes: string[],
): SteeringResults | null {
  // Concept choice: success means "chose the target class", which needs a question whose options are
  // the item's classes (optionsFromPayload). Concept relatedness: the item's concept is the target
  // class, so success means a relatedness of at least 0.5 (the paper's scale 0 / .25 / .5 / .75 / 1).
  const choice = questions.find((question) => question.type === 'choice' && question.optionsFromPayload !== undefined);
  // Graded relatedness: a choice of numbers in [0, 1]; a 1–5 Likert choice has no target to reach.
  const graded = choice
    ? undefined
    : questions.find((question) => {
        const values = numericOptionValues(question);
        return values.length >= 2 && values.every((value) => value >= 0 && value <= 1);
      });
  const successQuestion = choice ?? graded;
  if (!successQuestion) return null;
  const isSuccess = choice
    ? (answer: unknown, target: unknown) => String(answer) === String(target)
    : (answer: unknown) => (numericAnswer(answer) ?? -Infinity) >= RELATED_THRESHOLD;
  // Means with intervals against k: every scale (coherence) and the graded question itself.
  const numeric = questions.filter((question) => question.type === 'scale' || question === graded);
  type Cell = { n: number; successes: number; counts: number[]; sums: number[]; squares: number[] };
  const byLayer = new Map<string, { layer: ResultValue | null; cells: Map<number, Cell> }>();
  const byPair = new Map<
    string,
    { layer: ResultValue | null; source: string; target: string; cells: Map<number, Cell> }
  >();
  const add = (cells: Map<number, Cell>, k: number, success: boolean, answer: Record<string, unknown>) => {
    let cell = cells.get(k);
    if (!cell)
      cells.set(
        k,
        (cell = {
          n: 0,
          successes: 0,
          counts: numeric.map(() => 0),
          sums: numeric.map(() => 0),
          squares: numeric.map(() => 0),
        }),
      );
    cell.n++;
    if (success) cell.successes++;
    numeric.forEach((question, index) => {
      const value = numericAnswer(answer[question.id]);
      if (value === null) return;
      cell.counts[index]++;
      cell.sums[index] += value;
      cell.squares[index] += value * value;
    });
  };
  let used = 0;
  for (const judgement of judgements) {
    if (judgement.itemKind !== 'normal') continue;
    const { hidden } = judgement;
    const k = typeof hidden.k === 'number' ? hidden.k : Number.NaN;
    const target = hidden.target_class ?? hidden.correct;
    const answer = judgement.answer[successQuestion.id];
    if (!Number.isFinite(k) || target === undefined || answer === undefined || answer === null) continue;
    used++;
    const success = isSuccess(answer, target);
    const layer = typeof hidden.layer === 'number' || typeof hidden.layer === 'string' ? hidden.layer : null;
    const layerKey = String(layer);
    if (!byLayer.has(layerKey)) byLayer.set(layerKey, { layer, cells: new Map() });
    add(byLayer.get(layerKey)!.cells, k, success, judgement.answer);
    const source = String(hidden.source_class ?? '');
    const pairKey = `${layerKey}\u0000${source}\u0000${String(target)}`;
    if (!byPair.has(pairKey)) byPair.set(pairKey, { layer, source, target: String(target), cells: new Map() });
    add(byPair.get(pairKey)!.cells, k, success, judgement.answer);
  }
  if (used === 0) {
    const why = steeringMissingNote(judgements);
    if (why) notes.push(why);
    return null;
  }
  const points = (cells: Map<number, Cell>) =>
    [...cells]
      .sort(([a], [b]) => a - b)
      .map(([k, cell]) => ({
        k,
        n: cell.n,
        successes: cell.successes,
        rate: cell.successes / cell.n,
        ...wilsonInterval(cell.successes, cell.n),
        scales: Object.fromEntries(
          numeric.map((question, index) => [
            question.id,
            meanInterval(cell.counts[index], cell.sums[index], cell.squares[index]),
          ]),
        ),
      }));
  const byLayerOrder = (a: { layer: ResultValue | null }, b: { layer: ResultValue | null }) =>
    String(a.layer).localeCompare(String(b.layer), 'en', { numeric: true });
  return {
    questionId: successQuestion.id,
    success: choice
      ? `answer.${choice.id} == hidden.target_class (or hidden.correct)`
      : `answer.${successQuestion.id} >= ${RELATED_THRESHOLD} (relatedness to the target concept; non-numeric answers such as "incoherent" count as failures)`,
    scaleRanges: Object.fromEntries(
      numeric.map((question) => {
        const values = question.type === 'scale' ? [question.min, question.max] : numericOptionValues(question);
        return [question.id, [Math.min(...values), Math.max(...values)]];
      }),
    ),
    byLayer: [...byLayer.values()]
      .sort(byLayerOrder)
      .map((entry): SteeringCurve => ({ layer: entry.layer, points: points(entry.cells) })),
    byClassPair: [...byPair.values()]
      .sort((a, b) => byLayerOrder(a, b) || a.source.localeCompare(b.source) || a.target.localeCompare(b.target))
      .map(
        (entry): SteeringCurve => ({
          layer: entry.layer,
          sourceClass: entry.source,
          targetClass: entry.target,
          points: points(entry.cells),
        }),
      ),
  };
}

export function campaignResults(db: Db, campaignId: number, options: ResultsOptions = {}): CampaignResults {
  const campaign = getCampaign(db, campaignId);
  const seed = options.bootstrap?.seed ?? campaign.seed;
  const replicates = options.bootstrap?.replicates ?? 1000;
  const questions = campaign.template.questions;
  const { judgements, unknownSides } = loadJudgements(db, campaignId);
  const notes: string[] = [];
  if (unknownSides > 0) {
    notes.push(
      `${unknownSides} judgement(s) answer left or right on a pair whose sides the imported file did not record; those answers are left out of agreement and labels.`,
    );
  }
  const itemCount = countCampaignItems(db, campaignId);
  const positions = new Map(judgements.map((judgement) => [judgement.itemId, judgement.itemPosition]));
  const excluded = judgements.filter((judgement) => !AGREEMENT_KINDS.has(judgement.itemKind)).length;
  if (excluded > 0)
    notes.push(
      `${excluded} judgement(s) on attention-check or qualification items are left out of agreement and labels.`,
    );

  const ratingsByQuestion = new Map<string, Rating[]>(questions.map((question) => [question.id, []]));
  for (const judgement of judgements) {
    if (!AGREEMENT_KINDS.has(judgement.itemKind)) continue;
    for (const question of questions) {
      const value = ratingValue(question, judgement.answer[question.id]);
      if (value !== null)
        ratingsByQuestion.get(question.id)!.push({ unit: judgement.itemId, rater: judgement.rater, value });
    }
  }

  const agreement = questions.map((question) =>
    questionAgreement(question, ratingsByQuestion.get(question.id)!, seed, replicates),
  );

  // Labels: majority (ties left unresolved) and Dawid–Skene, for choice questions.
  const labels: AggregatedLabel[] = [];
  const dawidSkeneSummaries: DawidSkeneSummary[] = [];
  const consensusRatings: TimedRating[] = [];
  for (const question of questions.filter((q) => q.type === 'choice')) {
    const ratings = ratingsByQuestion.get(question.id)!;
    if (ratings.length === 0) continue;
    const majority = majorityVote(ratings);
    const ds = attempt(() => dawidSkene(ratings));
    if (ds.reason) notes.push(`Dawid–Skene for ${question.id}: ${ds.reason}`);
    const dsByUnit = new Map(ds.value?.units.map((unit) => [unit.unit, unit]) ?? []);
    for (const vote of majority) {
      const unit = dsByUnit.get(vote.unit);
      const classIndex = unit ? ds.value!.classes.indexOf(unit.label) : -1;
      labels.push({
        itemId: Number(vote.unit),
        itemPosition: positions.get(Number(vote.unit)) ?? -1,
        questionId: question.id,
        majority: vote.label,
        tiedLabels: vote.tie ? vote.labels : [],
        votes: vote.votes,
        totalVotes: vote.totalVotes,
        dawidSkene: unit?.label ?? null,
        dawidSkeneProbability: unit && classIndex >= 0 ? unit.posterior[classIndex] : null,
      });
    }
    if (ds.value) {
      dawidSkeneSummaries.push({
        questionId: question.id,
        classes: ds.value.classes,
        priors: ds.value.priors,
        iterations: ds.value.iterations,
        converged: ds.value.converged,
        raters: ds.value.raters.map((rater) => ({
          rater: String(rater.rater),
          confusion: rater.confusion,
          ratings: rater.ratings,
        })),
      });
    }
    for (const rating of ratings) consensusRatings.push({ ...rating, unit: `${rating.unit}:${question.id}` });
  }
  labels.sort((a, b) => a.itemPosition - b.itemPosition || a.questionId.localeCompare(b.questionId));

  // Gold answers, pooled over questions (unit = item:question) so one accuracy covers the campaign.
  const firstChoice = questions.find((question) => question.type === 'choice');
  const gold = new Map<string, ResultValue>();
  const goldRatings: TimedRating[] = [];
  for (const judgement of judgements) {
    if (judgement.itemKind !== 'gold') continue;
    for (const question of questions) {
      const expected = ratingValue(question, goldFor(judgement.hidden, question, firstChoice));
      const given = ratingValue(question, judgement.answer[question.id]);
      if (expected === null || given === null) continue;
      gold.set(`${judgement.itemId}:${question.id}`, expected);
      if (question.type !== 'choice')
        goldRatings.push({ unit: `${judgement.itemId}:${question.id}`, rater: judgement.rater, value: given });
    }
  }
  const raterList: RaterReliabilityRow[] = [];
  let overallMedianActiveMs: number | null = null;
  let fastThresholdMs: number | null = null;
  if (judgements.length > 0) {
    // Timing: one rating per judgement, so every judgement weighs once whatever the question count.
    const timing = raterReliability(
      judgements.map((judgement, index) => ({
        unit: index,
        rater: judgement.rater,
        value: 0,
        activeMs: judgement.activeMs,
      })),
    );
    overallMedianActiveMs = timing.overallMedianActiveMs;
    fastThresholdMs = timing.fastThresholdMs;
    const pooled = [...consensusRatings, ...goldRatings];
    // Agreement with the majority of the *other* raters (issue 15): with three raters per item a
    // majority that counts the rater's own vote agrees with them half the time by construction.
    const quality =
      pooled.length > 0 ? raterReliability(pooled, { gold, consensusFor: majorityOfOthers(consensusRatings) }) : null;
    const qualityByRater = new Map(quality?.raters.map((row) => [String(row.rater), row]) ?? []);
    for (const row of timing.raters) {
      const q = qualityByRater.get(String(row.rater));
      raterList.push({
        rater: String(row.rater),
        judgements: row.ratings,
        goldRatings: q?.goldRatings ?? 0,
        goldAccuracy: q?.goldAccuracy ?? null,
        consensusRatings: q?.consensusRatings ?? 0,
        consensusAgreement: q?.consensusAgreement ?? null,
        medianActiveMs: row.medianActiveMs,
        tooFast: row.tooFast,
      });
    }
  }
  if (gold.size === 0)
    notes.push(
      'No gold answers (items of kind "gold" with hidden.gold) were rated, so gold accuracy is not available.',
    );

  return {
    campaign: {
      id: campaign.id,
      name: campaign.name,
      templateId: campaign.template.id,
      templateVersion: campaign.template.version,
    },
    counts: {
      items: itemCount,
      judgements: judgements.length,
      raters: new Set(judgements.map((judgement) => judgement.rater)).size,
    },
    bootstrap: { seed, replicates },
    questions: agreement,
    labels,
    dawidSkene: dawidSkeneSummaries,
    raters: { list: raterList, overallMedianActiveMs, fastThresholdMs },
    steering: steeringResults(judgements, questions, notes),
    features: featureResults(db, campaignId, questions, judgements),
    intruder: intruderResults(db, questions, judgements),
    detection: detectionResults(db, questions, judgements),
    pairwise: pairwiseResults(campaign.template.display, questions, judgements),
    notes,
  };
}
