import type { ShownPair, ShownQuestion } from '../contract/types';
import { parseJson, type Db } from './db';

/** What the rater saw for one assignment: questions in shown order (and, later, sides, highlights, truncation). */
export interface ShownRecord {
  questions: ShownQuestion[];
  pairs: ShownPair[];
}

export interface AssignmentRecord {
  id: number;
  itemId: number;
  raterId: number;
  status: 'leased' | 'submitted' | 'skipped';
  shown: ShownRecord;
  leasedAt: number;
  leaseExpiresAt: number;
}

interface AssignmentRow {
  id: number;
  item_id: number;
  rater_id: number;
  status: 'leased' | 'submitted' | 'skipped';
  shown_json: string;
  leased_at: number;
  lease_expires_at: number;
}

const toRecord = (row: AssignmentRow): AssignmentRecord => ({
  id: row.id,
  itemId: row.item_id,
  raterId: row.rater_id,
  status: row.status,
  shown: parseJson<ShownRecord>(row.shown_json, 'assignments.shown_json'),
  leasedAt: row.leased_at,
  leaseExpiresAt: row.lease_expires_at,
});

export function getAssignment(db: Db, id: number): AssignmentRecord | undefined {
  const row = db.prepare('SELECT * FROM assignments WHERE id = ?').get(id) as AssignmentRow | undefined;
  return row && toRecord(row);
}

/** The rater's open leases, oldest first (an undone item has the oldest id, so it comes back first). */
export function openLeases(db: Db, raterId: number): AssignmentRecord[] {
  return (db.prepare("SELECT * FROM assignments WHERE rater_id = ? AND status = 'leased' ORDER BY id").all(raterId) as AssignmentRow[]).map(toRecord);
}

/** How many raters hold an item now: submitted, or leased with a lease that has not expired. */
export function activeHolders(db: Db, itemId: number, now: number, exceptAssignmentId = 0): number {
  return db
    .prepare(
      `SELECT COUNT(*) FROM assignments
       WHERE item_id = ? AND id != ? AND (status = 'submitted' OR (status = 'leased' AND lease_expires_at > ?))`,
    )
    .pluck()
    .get(itemId, exceptAssignmentId, now) as number;
}

/** Which items a lease may draw from: overlap-limited ordinary items, quality-control items every rater gets, or the qualification round. */
export type ItemPool = 'normal' | 'quality' | 'qualification';

const POOL_KINDS: Record<ItemPool, string> = {
  normal: "i.kind = 'normal'",
  quality: "i.kind IN ('gold', 'attention')",
  qualification: "i.kind = 'qualification'",
};

/**
 * Items of a pool this rater has never been assigned. Ordinary items must have room under the
 * overlap and come fewest holders first (breadth first: every item gets its raters before any
 * gets extra), then the condition this rater has seen least (so each rater sees each condition
 * about equally often, a greedy Latin-square balance), then the rater's own order: a per-rater
 * multiplicative hash of the item id (a permutation modulo a prime) or the campaign's fixed order.
 * Quality-control and qualification items go to every rater, in position order.
 */
export function freeItemsFor(
  db: Db,
  args: { campaignId: number; raterId: number; raterSeed: number; overlap: number; now: number; limit: number; orderMode: 'random' | 'fixed'; pool?: ItemPool },
): number[] {
  const pool = args.pool ?? 'normal';
  const params = { campaignId: args.campaignId, raterId: args.raterId, now: args.now, overlap: args.overlap, limit: args.limit };
  const notMine = 'NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.rater_id = @raterId)';
  if (pool !== 'normal') {
    return db
      .prepare(`SELECT i.id FROM items i WHERE i.campaign_id = @campaignId AND ${POOL_KINDS[pool]} AND ${notMine} ORDER BY i.position LIMIT @limit`)
      .pluck()
      .all(params) as number[];
  }
  const prime = 2147483647;
  const multiplier = (args.raterSeed % (prime - 1)) + 1;
  const order = args.orderMode === 'fixed' ? 'i.position' : `(i.id * ${multiplier}) % ${prime}`;
  return db
    .prepare(
      `SELECT i.id FROM items i
       LEFT JOIN (
         SELECT item_id, COUNT(*) AS holders FROM assignments
         WHERE status = 'submitted' OR (status = 'leased' AND lease_expires_at > @now)
         GROUP BY item_id
       ) h ON h.item_id = i.id
       LEFT JOIN (
         SELECT si.condition, COUNT(*) AS seen FROM assignments sa JOIN items si ON si.id = sa.item_id
         WHERE sa.rater_id = @raterId GROUP BY si.condition
       ) c ON c.condition IS i.condition
       WHERE i.campaign_id = @campaignId AND ${POOL_KINDS.normal}
         AND COALESCE(h.holders, 0) < @overlap
         AND ${notMine}
       ORDER BY COALESCE(h.holders, 0), COALESCE(c.seen, 0), ${order}
       LIMIT @limit`,
    )
    .pluck()
    .all(params) as number[];
}

/** The rater's assignments per item kind (any status). */
export function raterAssignmentKinds(db: Db, raterId: number): Record<string, number> {
  const rows = db
    .prepare('SELECT i.kind, COUNT(*) AS n FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.rater_id = ? GROUP BY i.kind')
    .all(raterId) as { kind: string; n: number }[];
  return Object.fromEntries(rows.map((row) => [row.kind, row.n]));
}

export function insertLease(db: Db, itemId: number, raterId: number, shown: ShownRecord, now: number, expiresAt: number): number {
  const { lastInsertRowid } = db
    .prepare("INSERT INTO assignments (item_id, rater_id, status, shown_json, leased_at, lease_expires_at) VALUES (?, ?, 'leased', ?, ?, ?)")
    .run(itemId, raterId, JSON.stringify(shown), now, expiresAt);
  return Number(lastInsertRowid);
}

export function setAssignmentStatus(db: Db, id: number, status: AssignmentRecord['status'], leaseExpiresAt?: number): void {
  if (leaseExpiresAt === undefined) db.prepare('UPDATE assignments SET status = ? WHERE id = ?').run(status, id);
  else db.prepare('UPDATE assignments SET status = ?, lease_expires_at = ? WHERE id = ?').run(status, leaseExpiresAt, id);
}

export function countRaterSubmitted(db: Db, raterId: number): number {
  return db.prepare("SELECT COUNT(*) FROM assignments WHERE rater_id = ? AND status = 'submitted'").pluck().get(raterId) as number;
}

/** Items this rater could still get: their open leases, ordinary items with room under the overlap, and every quality-control or qualification item not yet theirs. */
export function countRaterRemaining(db: Db, args: { campaignId: number; raterId: number; overlap: number; now: number }): number {
  return db
    .prepare(
      `SELECT COUNT(*) FROM items i
       WHERE i.campaign_id = @campaignId
         AND (
           EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.rater_id = @raterId AND a.status = 'leased')
           OR (
             NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.rater_id = @raterId)
             AND (i.kind != 'normal' OR (SELECT COUNT(*) FROM assignments a WHERE a.item_id = i.id
                  AND (a.status = 'submitted' OR (a.status = 'leased' AND a.lease_expires_at > @now))) < @overlap)
           )
         )`,
    )
    .pluck()
    .get(args) as number;
}
