// Detection campaigns (issue 15): delphi's detection score with human raters. Each example shown is
// a yes/no call ("matches the label" = ticked) against the hidden activating examples; precision,
// recall and F1 per feature and overall, and the tick rate per sampling bucket (do weak quantiles
// get recognised too?). Items from domain/campaigns/from-project.ts keep hidden.activating_options,
// hidden.option_examples (every shown option) and hidden.mix.activating_buckets.
import type { DetectionCounts, DetectionResults } from '../contract/results';
import type { QuestionSpec } from '../contract/types';
import type { Db } from '../store/db';
import { featurePlacement } from '../store/features';
import { featureIdOf } from './feature-results';
import type { ScoredJudgement } from './intruder-score';
import { numericOrder, proportion } from './proportion';

export const NON_ACTIVATING = 'non-activating';

interface Tally {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
}

const emptyTally = (): Tally => ({ truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 });
const ratio = (numerator: number, denominator: number): number | null => (denominator ? numerator / denominator : null);

/** Precision, recall, F1 and accuracy from the confusion counts (pooled over raters and examples). */
export function detectionCounts(tally: Tally): DetectionCounts {
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn } = tally;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  // F1 = 2TP / (2TP + FP + FN): defined whenever anything was activating or ticked.
  return {
    ...tally,
    precision,
    recall,
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: ratio(tp + tn, tp + fp + fn + tn),
  };
}

const stringList = (value: unknown): string[] | null => (Array.isArray(value) ? value.map(String) : null);

/** Sampling buckets strongest first: top, then quantiles from the highest (q10 … q1), then non-activating. */
function bucketOrder(a: string, b: string): number {
  const rank = (bucket: string) => (bucket === 'top' ? 0 : bucket === NON_ACTIVATING ? 2 : 1);
  return rank(a) - rank(b) || numericOrder(b, a);
}

export function detectionResults(
  db: Db,
  questions: QuestionSpec[],
  judgements: readonly ScoredJudgement[],
): DetectionResults | null {
  const question = questions.find((q) => q.type === 'multi');
  if (!question) return null;
  const overall = emptyTally();
  const byFeature = new Map<number, { tally: Tally; judgements: number }>();
  const byBucket = new Map<string, { ticked: number; shown: number }>();
  let scored = 0;
  for (const judgement of judgements) {
    if (judgement.itemKind !== 'normal') continue;
    const activating = stringList(judgement.hidden.activating_options);
    const shownMap = judgement.hidden.option_examples;
    const answer = judgement.answer[question.id];
    // No answer at all is not "nothing matches": a rater who ticked nothing submitted [].
    if (!activating || !shownMap || typeof shownMap !== 'object' || !Array.isArray(answer)) continue;
    const ticked = new Set(answer.map(String));
    const buckets = stringList((judgement.hidden.mix as Record<string, unknown> | undefined)?.activating_buckets);
    const featureId = featureIdOf(judgement.hidden);
    const feature = featureId === null ? null : (byFeature.get(featureId) ?? { tally: emptyTally(), judgements: 0 });
    if (feature && featureId !== null) {
      feature.judgements++;
      byFeature.set(featureId, feature);
    }
    scored++;
    for (const option of Object.keys(shownMap)) {
      const at = activating.indexOf(option);
      const isActivating = at >= 0;
      const isTicked = ticked.has(option);
      const key = isActivating
        ? isTicked
          ? 'truePositives'
          : 'falseNegatives'
        : isTicked
          ? 'falsePositives'
          : 'trueNegatives';
      overall[key]++;
      if (feature) feature.tally[key]++;
      const bucket = isActivating ? (buckets?.[at] ?? 'activating') : NON_ACTIVATING;
      const cell = byBucket.get(bucket) ?? { ticked: 0, shown: 0 };
      cell.shown++;
      if (isTicked) cell.ticked++;
      byBucket.set(bucket, cell);
    }
  }
  if (scored === 0) return null;
  return {
    questionId: question.id,
    judgements: scored,
    overall: detectionCounts(overall),
    byFeature: [...byFeature]
      .map(([featureId, { tally, judgements: count }]) => {
        const placed = featurePlacement(db, featureId);
        return {
          featureId,
          saeId: placed?.saeId ?? null,
          featureIndex: placed?.index ?? null,
          judgements: count,
          ...detectionCounts(tally),
        };
      })
      .sort((a, b) => numericOrder(String(a.featureIndex ?? a.featureId), String(b.featureIndex ?? b.featureId))),
    byBucket: [...byBucket]
      .sort(([a], [b]) => bucketOrder(a, b))
      .map(([bucket, cell]) => ({
        bucket,
        activating: bucket !== NON_ACTIVATING,
        ...proportion(cell.ticked, cell.shown),
      })),
  };
}
