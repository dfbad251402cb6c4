import type { Db } from './db';

export interface ScoredJudgementRow {
  rater_id: number;
  item_id: number;
  kind: string;
  hidden_json: string;
  answer_json: string;
  active_ms: number;
}

/** Live submissions of a campaign's items of the given kinds (optionally one rater's), with the hidden answer key. */
export function liveJudgementsWithKey(
  db: Db,
  campaignId: number,
  kinds: string[],
  raterId?: number,
): ScoredJudgementRow[] {
  return db
    .prepare(
      `SELECT a.rater_id, i.id AS item_id, i.kind, i.hidden_json, j.answer_json, j.active_ms
       FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = a.item_id
       WHERE i.campaign_id = @campaignId AND j.action = 'submit'
         AND i.kind IN (SELECT value FROM json_each(@kinds))
         AND (@raterId IS NULL OR a.rater_id = @raterId)
         AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)
       ORDER BY j.id`,
    )
    .all({ campaignId, kinds: JSON.stringify(kinds), raterId: raterId ?? null }) as ScoredJudgementRow[];
}

export function countItemsOfKind(db: Db, campaignId: number, kind: string): number {
  return db
    .prepare('SELECT COUNT(*) FROM items WHERE campaign_id = ? AND kind = ?')
    .pluck()
    .get(campaignId, kind) as number;
}

/** How many of the rater's items of this kind they skipped (a skipped attention check was never passed). */
export function countRaterSkippedOfKind(db: Db, raterId: number, kind: string): number {
  return db
    .prepare(
      "SELECT COUNT(*) FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.rater_id = ? AND a.status = 'skipped' AND i.kind = ?",
    )
    .pluck()
    .get(raterId, kind) as number;
}

export function setRaterStatus(db: Db, raterId: number, status: 'active' | 'revoked' | 'disqualified'): void {
  db.prepare('UPDATE raters SET status = ? WHERE id = ?').run(status, raterId);
}
