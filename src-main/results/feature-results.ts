// Feature-label campaigns (issue 5): label coverage, the interpretability score distribution, and
// raters' modality votes against the modality the miner assigned each feature (features.modality,
// from its image/text activation counts). Items name their feature in hidden.feature_id
// (domain/campaigns/from-project.ts featureItems).
import type { FeatureResultRow, FeatureResults } from '../contract/results';
import type { QuestionSpec } from '../contract/types';
import { normalItemsHidden } from '../store/campaigns';
import type { Db } from '../store/db';
import { acceptedFeatureLabels } from '../store/feature-labels';
import { featurePlacement } from '../store/features';
import { majorityVote } from './aggregate';
import type { Rating } from './agreement';

export interface FeatureJudgement {
  itemId: number;
  itemKind: string;
  hidden: Record<string, unknown>;
  rater: string;
  answer: Record<string, unknown>;
}

/** What raters answer (feature-label template: image / text / both / neither) against what mining assigns. */
export const RATER_TO_MINED_MODALITY: Record<string, string> = {
  image: 'image',
  text: 'text',
  both: 'shared',
  neither: 'dead',
};
const MINED_MODALITIES = ['image', 'text', 'shared', 'dead'];

export const featureIdOf = (hidden: Record<string, unknown>): number | null => {
  const value = hidden.feature_id ?? hidden.featureId;
  return typeof value === 'number' && Number.isInteger(value)
    ? value
    : typeof value === 'string' && /^\d+$/.test(value)
      ? Number(value)
      : null;
};

/** The label, score and modality questions, or null when the campaign does not label features. */
function featureQuestions(questions: QuestionSpec[]) {
  const label = questions.find((question) => question.type === 'text');
  const score = questions.find((question) => question.type === 'scale');
  const modality = questions.find(
    (question) =>
      question.type === 'choice' &&
      (question.id === 'modality' ||
        (question.options?.some((o) => o.value === 'image') && question.options?.some((o) => o.value === 'text'))),
  );
  return { label, score, modality };
}

export function featureResults(
  db: Db,
  campaignId: number,
  questions: QuestionSpec[],
  judgements: readonly FeatureJudgement[],
): FeatureResults | null {
  const { label, score, modality } = featureQuestions(questions);
  if (!label && !modality) return null;
  const items = normalItemsHidden(db, campaignId);
  const featureOfItem = new Map<number, number>();
  for (const item of items) {
    const id = featureIdOf(JSON.parse(item.hidden_json) as Record<string, unknown>);
    if (id !== null) featureOfItem.set(item.id, id);
  }
  if (featureOfItem.size === 0) return null;

  const mined = new Map<number, { index: number; modality: string; saeId: number }>();
  for (const featureId of new Set(featureOfItem.values())) {
    const row = featurePlacement(db, featureId);
    if (row) mined.set(featureId, row);
  }

  const labelRatings: Rating[] = [];
  const modalityRatings: Rating[] = [];
  const scores = new Map<number, number[]>();
  const labelsByItem = new Map<number, number>();
  // The labels as the raters wrote them (trimmed only), side by side on the results page.
  const givenByItem = new Map<number, { rater: string; label: string }[]>();
  for (const judgement of judgements) {
    if (judgement.itemKind !== 'normal' || !featureOfItem.has(judgement.itemId)) continue;
    const text = label ? judgement.answer[label.id] : undefined;
    // Free-text labels agree when they match after trimming and lower-casing.
    if (typeof text === 'string' && text.trim()) {
      labelRatings.push({ unit: judgement.itemId, rater: judgement.rater, value: text.trim().toLowerCase() });
      labelsByItem.set(judgement.itemId, (labelsByItem.get(judgement.itemId) ?? 0) + 1);
      givenByItem.set(judgement.itemId, [
        ...(givenByItem.get(judgement.itemId) ?? []),
        { rater: judgement.rater, label: text.trim() },
      ]);
    }
    const value = score ? judgement.answer[score.id] : undefined;
    if (typeof value === 'number' && Number.isFinite(value))
      scores.set(judgement.itemId, [...(scores.get(judgement.itemId) ?? []), value]);
    const vote = modality ? judgement.answer[modality.id] : undefined;
    if (typeof vote === 'string' && vote)
      modalityRatings.push({ unit: judgement.itemId, rater: judgement.rater, value: vote });
  }
  // majorityVote refuses an empty list; a campaign nobody has rated yet still has (empty) results.
  const majorityByItem = (ratings: Rating[]) =>
    new Map(ratings.length ? majorityVote(ratings).map((vote) => [Number(vote.unit), vote]) : []);
  const labelMajority = majorityByItem(labelRatings);
  const modalityMajority = majorityByItem(modalityRatings);
  const modalityVotes = new Map<number, Record<string, number>>();
  for (const rating of modalityRatings) {
    const votes = modalityVotes.get(Number(rating.unit)) ?? {};
    votes[String(rating.value)] = (votes[String(rating.value)] ?? 0) + 1;
    modalityVotes.set(Number(rating.unit), votes);
  }

  const accepted = acceptedFeatureLabels(db, [...mined.keys()]);
  const rows: FeatureResultRow[] = [...featureOfItem].map(([itemId, featureId]) => {
    const featureScores = scores.get(itemId) ?? [];
    const labelVote = labelMajority.get(itemId);
    const modalityVote = modalityMajority.get(itemId);
    // A label is a majority label when it has more than half of the feature's labels.
    const hasMajority =
      labelVote !== undefined && labelVote.label !== null && labelVote.votes * 2 > labelVote.totalVotes;
    return {
      itemId,
      featureId,
      featureIndex: mined.get(featureId)?.index ?? null,
      saeId: mined.get(featureId)?.saeId ?? null,
      labels: labelsByItem.get(itemId) ?? 0,
      givenLabels: givenByItem.get(itemId) ?? [],
      // Share of the feature's labels that are its most common one (compared trimmed, lower-cased).
      labelAgreement: labelVote ? labelVote.votes / labelVote.totalVotes : null,
      majorityLabel: hasMajority ? String(labelVote!.label) : null,
      acceptedLabel: accepted.get(featureId) ?? null,
      meanScore: featureScores.length ? featureScores.reduce((a, b) => a + b, 0) / featureScores.length : null,
      modalityVotes: modalityVotes.get(itemId) ?? {},
      majorityModality: modalityVote?.label === null || modalityVote === undefined ? null : String(modalityVote.label),
      minedModality: mined.get(featureId)?.modality ?? null,
    };
  });

  const allScores = [...scores.values()].flat().sort((a, b) => a - b);
  const scoreDistribution =
    score && score.type === 'scale'
      ? {
          questionId: score.id,
          min: score.min,
          max: score.max,
          counts: Array.from({ length: score.max - score.min + 1 }, (_, offset) => ({
            score: score.min + offset,
            count: allScores.filter((value) => value === score.min + offset).length,
          })),
          ratings: allScores.length,
          mean: allScores.length ? allScores.reduce((a, b) => a + b, 0) / allScores.length : null,
          median: allScores.length
            ? (allScores[(allScores.length - 1) >> 1] + allScores[allScores.length >> 1]) / 2
            : null,
          featureMeans: rows.filter((row) => row.meanScore !== null).map((row) => row.meanScore as number),
        }
      : null;

  let modalityResults: FeatureResults['modality'] = null;
  if (modality && modality.type === 'choice') {
    const voteValues = (modality.options ?? []).map((option) => option.value);
    // counts[minedIndex][voteIndex]: every vote, not only the majority.
    const counts = MINED_MODALITIES.map(() => voteValues.map(() => 0));
    let comparable = 0;
    let matching = 0;
    for (const row of rows) {
      const minedIndex = row.minedModality ? MINED_MODALITIES.indexOf(row.minedModality) : -1;
      if (minedIndex < 0) continue;
      for (const [vote, count] of Object.entries(row.modalityVotes)) {
        const voteIndex = voteValues.indexOf(vote);
        if (voteIndex >= 0) counts[minedIndex][voteIndex] += count;
      }
      if (row.majorityModality !== null) {
        comparable++;
        if (RATER_TO_MINED_MODALITY[row.majorityModality] === row.minedModality) matching++;
      }
    }
    modalityResults = {
      questionId: modality.id,
      votes: voteValues,
      mined: MINED_MODALITIES,
      counts,
      featuresCompared: comparable,
      majorityMatchesMined: comparable ? matching / comparable : null,
      mapping: RATER_TO_MINED_MODALITY,
    };
  }

  return {
    labelQuestionId: label?.id ?? null,
    coverage: {
      features: rows.length,
      withLabel: rows.filter((row) => row.labels > 0).length,
      withMajorityLabel: rows.filter((row) => row.majorityLabel !== null).length,
    },
    scoreDistribution,
    modality: modalityResults,
    features: rows,
  };
}
