import type { Answer } from '../contract/types';
import { parseJson, type Db } from './db';
import { shownOrderJson } from '../util/shown-order';
import type { ShownRecord } from './assignments';

/** Appends a submission. Judgements are never updated or deleted (triggers enforce it). */
export function insertSubmission(
  db: Db,
  args: { assignmentId: number; answer: Answer; shown: ShownRecord; activeMs: number; now: number },
): number {
  const { lastInsertRowid } = db
    .prepare(
      "INSERT INTO judgements (assignment_id, action, answer_json, shown_json, shown_order, active_ms, submitted_at) VALUES (?, 'submit', ?, ?, ?, ?, ?)",
    )
    .run(
      args.assignmentId,
      JSON.stringify(args.answer),
      JSON.stringify(args.shown),
      shownOrderJson(args.shown),
      args.activeMs,
      args.now,
    );
  return Number(lastInsertRowid);
}

/** Appends an undo row that supersedes a submission. */
export function insertUndo(
  db: Db,
  args: { supersedes: { id: number; assignmentId: number; shownJson: string }; now: number },
): number {
  const { lastInsertRowid } = db
    .prepare(
      "INSERT INTO judgements (assignment_id, action, answer_json, shown_json, active_ms, submitted_at, supersedes_id) VALUES (?, 'undo', NULL, ?, 0, ?, ?)",
    )
    .run(args.supersedes.assignmentId, args.supersedes.shownJson, args.now, args.supersedes.id);
  return Number(lastInsertRowid);
}

/** The rater's latest submission that nothing supersedes yet. */
export function lastLiveSubmission(
  db: Db,
  raterId: number,
): { id: number; assignmentId: number; shownJson: string; answer: Answer } | undefined {
  const row = db
    .prepare(
      `SELECT j.id, j.assignment_id AS assignmentId, j.shown_json AS shownJson, j.answer_json AS answerJson FROM judgements j
       JOIN assignments a ON a.id = j.assignment_id
       WHERE a.rater_id = ? AND j.action = 'submit'
         AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)
       ORDER BY j.id DESC LIMIT 1`,
    )
    .get(raterId) as { id: number; assignmentId: number; shownJson: string; answerJson: string } | undefined;
  if (!row) return undefined;
  const { answerJson, ...rest } = row;
  return { ...rest, answer: parseJson<Answer>(answerJson, 'judgements.answer_json') };
}

export interface UnknownOrderJudgements {
  /** Live judgements whose shown order is not (fully) known: imported from files that did not record it. */
  judgements: number;
  /** Of those, the ones whose order is known in part (e.g. the options but not the pair sides). */
  partlyKnown: number;
  /** Their ids as inclusive [first, last] ranges: imports write consecutive ids, so a few ranges say it. */
  ranges: [number, number][];
}

/**
 * Which live judgements of a campaign have no known shown order (shown_order "null") or a partly
 * known one (an object with a null entry): see export/shown-order.ts. The text tests run first, so
 * json_each parses only rows that may hold a null; rows written before migration 0003 (NULL) are
 * never imports of that kind. Consecutive ids are grouped into ranges in SQL (id minus its rank).
 */
export function unknownOrderJudgements(db: Db, campaignId: number): UnknownOrderJudgements {
  const rows = db
    .prepare(
      `WITH u AS (
         SELECT j.id, j.shown_order <> 'null' AS partly FROM judgements j
         CROSS JOIN assignments a ON a.id = j.assignment_id
         CROSS JOIN items i ON i.id = a.item_id
         WHERE (j.shown_order = 'null' OR (instr(j.shown_order, ':null') > 0 AND EXISTS (SELECT 1 FROM json_each(j.shown_order) e WHERE e.type = 'null')))
           AND i.campaign_id = ? AND j.action = 'submit' AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)
       )
       SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n, SUM(partly) AS partly
       FROM (SELECT id, partly, id - ROW_NUMBER() OVER (ORDER BY id) AS run FROM u) GROUP BY run ORDER BY first`,
    )
    .all(campaignId) as { first: number; last: number; n: number; partly: number }[];
  return {
    judgements: rows.reduce((sum, row) => sum + row.n, 0),
    partlyKnown: rows.reduce((sum, row) => sum + row.partly, 0),
    ranges: rows.map((row) => [row.first, row.last]),
  };
}
