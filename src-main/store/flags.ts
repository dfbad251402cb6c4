import type { Db } from './db';

/** A rater's note on an assignment for the researcher (the monitor lists them: store/monitor.ts flaggedItems). */
export function insertFlag(db: Db, assignmentId: number, comment: string, now: number): void {
  db.prepare('INSERT INTO flags (assignment_id, comment, created_at) VALUES (?, ?, ?)').run(assignmentId, comment, now);
}
