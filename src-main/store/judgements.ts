import type { Answer } from '../contract/types';
import type { Db } from './db';
import { shownOrderJson } from '../export/shown-order';
import type { ShownRecord } from './assignments';

/** Appends a submission. Judgements are never updated or deleted (triggers enforce it). */
export function insertSubmission(db: Db, args: { assignmentId: number; answer: Answer; shown: ShownRecord; activeMs: number; now: number }): number {
  const { lastInsertRowid } = db
    .prepare("INSERT INTO judgements (assignment_id, action, answer_json, shown_json, shown_order, active_ms, submitted_at) VALUES (?, 'submit', ?, ?, ?, ?, ?)")
    .run(args.assignmentId, JSON.stringify(args.answer), JSON.stringify(args.shown), shownOrderJson(args.shown), args.activeMs, args.now);
  return Number(lastInsertRowid);
}

/** Appends an undo row that supersedes a submission. */
export function insertUndo(db: Db, args: { supersedes: { id: number; assignmentId: number; shownJson: string }; now: number }): number {
  const { lastInsertRowid } = db
    .prepare("INSERT INTO judgements (assignment_id, action, answer_json, shown_json, active_ms, submitted_at, supersedes_id) VALUES (?, 'undo', NULL, ?, 0, ?, ?)")
    .run(args.supersedes.assignmentId, args.supersedes.shownJson, args.now, args.supersedes.id);
  return Number(lastInsertRowid);
}

/** The rater's latest submission that nothing supersedes yet. */
export function lastLiveSubmission(db: Db, raterId: number): { id: number; assignmentId: number; shownJson: string } | undefined {
  return db
    .prepare(
      `SELECT j.id, j.assignment_id AS assignmentId, j.shown_json AS shownJson FROM judgements j
       JOIN assignments a ON a.id = j.assignment_id
       WHERE a.rater_id = ? AND j.action = 'submit'
         AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)
       ORDER BY j.id DESC LIMIT 1`,
    )
    .get(raterId) as { id: number; assignmentId: number; shownJson: string } | undefined;
}
