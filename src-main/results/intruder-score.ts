// Intruder campaigns (issue 15): accuracy against the hidden intruder, per item, per feature and
// overall, each with a Wilson interval. Items built from features (domain/campaigns/from-project.ts)
// keep the intruder's option value in hidden.intruder_option and the feature in hidden.feature_id.
import type { IntruderResults } from '../contract/results';
import type { QuestionSpec } from '../contract/types';
import type { Db } from '../store/db';
import { featurePlacement } from '../store/features';
import { featureIdOf, type FeatureJudgement } from './feature-results';
import { numericOrder, proportion } from './proportion';

export interface ScoredJudgement extends FeatureJudgement {
  itemPosition: number;
}

const intruderOf = (hidden: Record<string, unknown>): string | null =>
  typeof hidden.intruder_option === 'string' ? hidden.intruder_option : null;

export function intruderResults(
  db: Db,
  questions: QuestionSpec[],
  judgements: readonly ScoredJudgement[],
): IntruderResults | null {
  // The question whose options are the shown examples (the built-in template's "intruder").
  const question =
    questions.find((q) => q.type === 'choice' && q.optionsFromPayload !== undefined) ??
    questions.find((q) => q.type === 'choice');
  if (!question) return null;
  type Tally = { correct: number; n: number; position: number; featureId: number | null; options: number | null };
  const byItem = new Map<number, Tally>();
  for (const judgement of judgements) {
    // Gold and attention-check items measure the rater; only normal items score the features.
    if (judgement.itemKind !== 'normal') continue;
    const intruder = intruderOf(judgement.hidden);
    const answer = judgement.answer[question.id];
    if (intruder === null || answer === undefined || answer === null || answer === '') continue;
    let tally = byItem.get(judgement.itemId);
    if (!tally) {
      const shown = judgement.hidden.option_examples;
      const options = shown && typeof shown === 'object' ? Object.keys(shown).length : null;
      byItem.set(
        judgement.itemId,
        (tally = {
          correct: 0,
          n: 0,
          position: judgement.itemPosition,
          featureId: featureIdOf(judgement.hidden),
          options,
        }),
      );
    }
    tally.n++;
    if (String(answer) === intruder) tally.correct++;
  }
  if (byItem.size === 0) return null;

  const byFeature = new Map<number, { correct: number; n: number; items: number }>();
  for (const tally of byItem.values()) {
    if (tally.featureId === null) continue;
    const feature = byFeature.get(tally.featureId) ?? { correct: 0, n: 0, items: 0 };
    feature.correct += tally.correct;
    feature.n += tally.n;
    feature.items++;
    byFeature.set(tally.featureId, feature);
  }
  const tallies = [...byItem.values()];
  const optionCounts = new Set(tallies.map((tally) => tally.options));
  const [options] = optionCounts;
  return {
    questionId: question.id,
    chance: optionCounts.size === 1 && options ? 1 / options : null,
    // Pooled over judgements: each rater's call counts once (raters share items, so the interval is a little narrow).
    overall: proportion(
      tallies.reduce((sum, tally) => sum + tally.correct, 0),
      tallies.reduce((sum, tally) => sum + tally.n, 0),
    ),
    byFeature: [...byFeature]
      .map(([featureId, tally]) => {
        const placed = featurePlacement(db, featureId);
        return {
          featureId,
          saeId: placed?.saeId ?? null,
          featureIndex: placed?.index ?? null,
          items: tally.items,
          ...proportion(tally.correct, tally.n),
        };
      })
      .sort((a, b) => numericOrder(String(a.featureIndex ?? a.featureId), String(b.featureIndex ?? b.featureId))),
    byItem: [...byItem]
      .map(([itemId, tally]) => ({
        itemId,
        itemPosition: tally.position,
        featureId: tally.featureId,
        ...proportion(tally.correct, tally.n),
      }))
      .sort((a, b) => a.itemPosition - b.itemPosition),
  };
}
