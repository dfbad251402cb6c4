// Pairwise A/B campaigns (issue 15): the win rate of each side's field (after undoing the per-rater
// side swap, see report.ts unswapPairAnswers), the win rate of each compared system, and
// Bradley–Terry strengths when more than two systems meet. A system is what hidden[field] names
// ("k=0", "k=10" for items built from generations), else the field itself.
import type { PairwiseResults, PairwiseTally } from '../contract/results';
import type { DisplaySpec, QuestionSpec } from '../contract/types';
import { bradleyTerry, type PairedComparison } from './bradley-terry';
import type { ScoredJudgement } from './intruder-score';
import { numericOrder, proportion } from './proportion';

type Tally = { wins: number; losses: number; ties: number };
const tallyOut = (tally: Tally): PairwiseTally => ({
  ...tally,
  winRate: proportion(tally.wins, tally.wins + tally.losses + tally.ties),
});

export function pairwiseResults(
  display: readonly DisplaySpec[],
  questions: QuestionSpec[],
  judgements: readonly ScoredJudgement[],
): PairwiseResults | null {
  const pair = display.find((block) => block.type === 'pair');
  if (!pair || pair.type !== 'pair') return null;
  const fields: [string, string] = [pair.fields[0], pair.fields[1]];
  // The question answered with left / right (turned back into the fields before this runs).
  const question = questions.find(
    (q) =>
      q.type === 'choice' && q.options?.some((o) => o.value === 'left') && q.options.some((o) => o.value === 'right'),
  );
  if (!question) return null;
  const sides = new Map<string, Tally>(fields.map((field) => [field, { wins: 0, losses: 0, ties: 0 }]));
  const systems = new Map<string, Tally>();
  const comparisons: PairedComparison[] = [];
  for (const judgement of judgements) {
    if (judgement.itemKind !== 'normal') continue;
    const answer = judgement.answer[question.id];
    const tie = answer === 'tie';
    if (!tie && !fields.includes(String(answer))) continue; // unanswered, or a side the import did not record
    const name = (field: string) => {
      const value = judgement.hidden[field];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : field;
    };
    const [first, second] = [name(fields[0]), name(fields[1])];
    const firstScore = tie ? 0.5 : answer === fields[0] ? 1 : 0;
    fields.forEach((field, index) => {
      const side = sides.get(field)!;
      const score = index === 0 ? firstScore : 1 - firstScore;
      if (tie) side.ties++;
      else if (score === 1) side.wins++;
      else side.losses++;
      const systemName = index === 0 ? first : second;
      const system = systems.get(systemName) ?? { wins: 0, losses: 0, ties: 0 };
      if (tie) system.ties++;
      else if (score === 1) system.wins++;
      else system.losses++;
      systems.set(systemName, system);
    });
    comparisons.push({ first, second, firstScore });
  }
  if (comparisons.length === 0) return null;
  const systemNames = [...systems.keys()].sort(numericOrder);
  const fit = systemNames.length > 2 ? bradleyTerry(comparisons, { systems: systemNames }) : null;
  return {
    questionId: question.id,
    fields,
    judgements: comparisons.length,
    sides: fields.map((field) => ({ field, ...tallyOut(sides.get(field)!) })),
    systems: systemNames.map((system, index) => {
      const tally = systems.get(system)!;
      return {
        system,
        comparisons: tally.wins + tally.losses + tally.ties,
        strength: fit?.strengths?.[index] ?? null,
        ...tallyOut(tally),
      };
    }),
    bradleyTerry: fit
      ? { fitted: fit.strengths !== null, iterations: fit.iterations, converged: fit.converged, reason: fit.reason }
      : null,
  };
}
