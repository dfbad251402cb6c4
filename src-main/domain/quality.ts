// Quality control: gold items (known answers), attention checks (Prolific's rules: an explicit
// instruction tied to the question, e.g. "to show you are reading, choose 'volcano'"), and an
// optional qualification round with a pass mark. The expected answers live in items.hidden_json
// under "gold" (or "expected" for attention checks): { <questionId>: value }.
import type { AnswerValue } from '../contract/types';
import type { CampaignRecord } from '../store/campaigns';
import { parseJson, type Db } from '../store/db';
import { countItemsOfKind, liveJudgementsWithKey, type ScoredJudgementRow } from '../store/quality';

export type Expected = Record<string, AnswerValue>;

export function expectedAnswer(hidden: Record<string, unknown>): Expected | null {
  const key = (hidden.gold ?? hidden.expected) as Expected | undefined;
  return key && typeof key === 'object' ? key : null;
}

const sameValue = (given: AnswerValue | undefined, wanted: AnswerValue): boolean => {
  if (Array.isArray(wanted))
    return Array.isArray(given) && given.length === wanted.length && wanted.every((value) => given.includes(value));
  return given !== undefined && String(given) === String(wanted);
};

/** Correct when every question with an expected answer got exactly that answer. */
export function isCorrect(answer: Record<string, AnswerValue>, expected: Expected): boolean {
  return Object.entries(expected).every(([question, wanted]) => sameValue(answer[question], wanted));
}

export function scoreRow(row: ScoredJudgementRow): boolean | null {
  const expected = expectedAnswer(parseJson(row.hidden_json, 'items.hidden_json'));
  return expected ? isCorrect(parseJson(row.answer_json, 'judgements.answer_json'), expected) : null;
}

export interface QualificationState {
  required: number;
  answered: number;
  correct: number;
  passMark: number;
  /** null while the round is not finished (or the campaign has none). */
  passed: boolean | null;
}

export function passMarkOf(campaign: CampaignRecord): number {
  const qualification = campaign.settings.qualification as { passMark?: number } | undefined;
  return qualification?.passMark ?? 0.8;
}

export function qualificationState(db: Db, campaign: CampaignRecord, raterId: number): QualificationState {
  const required = countItemsOfKind(db, campaign.id, 'qualification');
  const rows = liveJudgementsWithKey(db, campaign.id, ['qualification'], raterId);
  const correct = rows.filter((row) => scoreRow(row) === true).length;
  const passMark = passMarkOf(campaign);
  const passed = required === 0 ? true : rows.length < required ? null : correct / required >= passMark;
  return { required, answered: rows.length, correct, passMark, passed };
}
