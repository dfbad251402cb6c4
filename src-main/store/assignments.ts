import type { ShownPair, ShownQuestion } from '../contract/types';
import { parseJson, type Db } from './db';

/** What the rater saw for one assignment: questions in shown order, the sides of pair displays, and how items were shown. */
export interface ShownRecord {
  questions: ShownQuestion[];
  pairs: ShownPair[];
  /** The instructions version in force when the item was handed out. */
  instructionsVersion?: number;
  /** Whether activation highlights were on (feature displays) or off (detection and intruder examples). */
  highlights?: boolean;
  /** Whether any text was cut short for display (Sightline shows texts whole). */
  truncated?: boolean;
  /** Imported judgements only: the parts of the order the results file did not record (export/shown-order.ts). */
  orderUnknown?: string[];
  /** Imported judgements only: where the row came from. */
  source?: Record<string, unknown>;
}

export interface AssignmentRecord {
  id: number;
  itemId: number;
  raterId: number;
  status: 'leased' | 'submitted' | 'skipped';
  shown: ShownRecord;
  leasedAt: number;
  leaseExpiresAt: number;
  /** Whether this assignment counts towards the item's holders (false once an expired lease was reclaimed). */
  counted: boolean;
}

interface AssignmentRow {
  id: number;
  item_id: number;
  rater_id: number;
  status: 'leased' | 'submitted' | 'skipped';
  shown_json: string;
  leased_at: number;
  lease_expires_at: number;
  counted: number;
}

const toRecord = (row: AssignmentRow): AssignmentRecord => ({
  id: row.id,
  itemId: row.item_id,
  raterId: row.rater_id,
  status: row.status,
  shown: parseJson<ShownRecord>(row.shown_json, 'assignments.shown_json'),
  leasedAt: row.leased_at,
  leaseExpiresAt: row.lease_expires_at,
  counted: row.counted === 1,
});

export function getAssignment(db: Db, id: number): AssignmentRecord | undefined {
  const row = db.prepare('SELECT * FROM assignments WHERE id = ?').get(id) as AssignmentRow | undefined;
  return row && toRecord(row);
}

/** The rater's open leases, oldest first (an undone item has the oldest id, so it comes back first). */
export function openLeases(db: Db, raterId: number): AssignmentRecord[] {
  return (
    db
      .prepare("SELECT * FROM assignments WHERE rater_id = ? AND status = 'leased' ORDER BY id")
      .all(raterId) as AssignmentRow[]
  ).map(toRecord);
}

export function itemHolders(db: Db, itemId: number): number {
  return db.prepare('SELECT holders FROM items WHERE id = ?').pluck().get(itemId) as number;
}

/** Moves an item's holders by ±1, and the campaign's count of full items when the overlap is crossed. */
function adjustHolders(db: Db, itemId: number, delta: 1 | -1): void {
  const item = db
    .prepare('UPDATE items SET holders = holders + ? WHERE id = ? RETURNING holders, kind, campaign_id AS campaignId')
    .get(delta, itemId) as { holders: number; kind: string; campaignId: number };
  if (item.kind !== 'normal') return;
  const overlap = db.prepare('SELECT overlap FROM campaigns WHERE id = ?').pluck().get(item.campaignId) as number;
  const crossed = delta === 1 ? item.holders === overlap : item.holders === overlap - 1;
  if (crossed) db.prepare('UPDATE campaigns SET full_items = full_items + ? WHERE id = ?').run(delta, item.campaignId);
}

/** Expired leases stop counting towards their item's holders, so the item can go to someone else. */
export function reclaimExpiredLeases(db: Db, now: number): void {
  const expired = db
    .prepare("SELECT id, item_id FROM assignments WHERE status = 'leased' AND counted = 1 AND lease_expires_at <= ?")
    .all(now) as { id: number; item_id: number }[];
  for (const lease of expired) {
    db.prepare('UPDATE assignments SET counted = 0 WHERE id = ?').run(lease.id);
    adjustHolders(db, lease.item_id, -1);
  }
}

/** Makes a reclaimed assignment count again if the item still has room; false if it filled up meanwhile. */
export function recount(db: Db, assignment: AssignmentRecord, overlap: number): boolean {
  if (assignment.counted) return true;
  if (itemHolders(db, assignment.itemId) >= overlap) return false;
  db.prepare('UPDATE assignments SET counted = 1 WHERE id = ?').run(assignment.id);
  adjustHolders(db, assignment.itemId, 1);
  assignment.counted = true;
  return true;
}

/** Which items a lease may draw from: overlap-limited ordinary items, quality-control items every rater gets, or the qualification round. */
export type ItemPool = 'normal' | 'quality' | 'qualification';

const NOT_MINE = 'NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.rater_id = @raterId)';

/**
 * The next item of a pool for a rater, or undefined. Ordinary items: fewest holders first (breadth
 * first: every item gets its raters before any gets extra), then the condition this rater has seen
 * least (a greedy Latin-square balance across raters), then the rater's own order — a rotation of
 * the campaign's seeded shuffle starting at a per-rater offset. Each step is an index seek on
 * items_pool, so the cost does not grow with the campaign. Quality-control and qualification items
 * go to every rater, in position order.
 */
export function pickFreeItem(
  db: Db,
  args: {
    campaignId: number;
    raterId: number;
    raterSeed: number;
    overlap: number;
    itemCount: number;
    pool: ItemPool;
    orderMode: 'random' | 'fixed';
  },
): number | undefined {
  const params = { campaignId: args.campaignId, raterId: args.raterId };
  if (args.pool !== 'normal') {
    const kinds = args.pool === 'quality' ? "('gold', 'attention')" : "('qualification')";
    // INDEXED BY: quality items are few; without it SQLite walks every item in position order.
    return db
      .prepare(
        `SELECT i.id FROM items i INDEXED BY items_pool WHERE i.campaign_id = @campaignId AND i.kind IN ${kinds} AND ${NOT_MINE} ORDER BY i.position LIMIT 1`,
      )
      .pluck()
      .get(params) as number | undefined;
  }
  const offset = args.orderMode === 'fixed' ? 0 : args.raterSeed % Math.max(1, args.itemCount);
  const seen = new Map(
    (
      db
        .prepare(
          "SELECT i.condition, COUNT(*) AS n FROM assignments a CROSS JOIN items i ON i.id = a.item_id WHERE a.rater_id = ? AND a.status != 'skipped' GROUP BY i.condition",
        )
        .all(args.raterId) as { condition: string | null; n: number }[]
    ).map((row) => [row.condition, row.n]),
  );
  const conditions = campaignItemConditions(db, args.campaignId).sort(
    (a, b) => (seen.get(a) ?? 0) - (seen.get(b) ?? 0),
  );
  const seek = db.prepare(
    `SELECT i.id FROM items i
     WHERE i.campaign_id = @campaignId AND i.kind = 'normal' AND i.holders = @holders AND i.condition IS @condition
       AND i.shuffle_rank >= @offset AND ${NOT_MINE}
     ORDER BY i.shuffle_rank LIMIT 1`,
  );
  const wrap = db.prepare(
    `SELECT i.id FROM items i
     WHERE i.campaign_id = @campaignId AND i.kind = 'normal' AND i.holders = @holders AND i.condition IS @condition
       AND i.shuffle_rank < @offset AND ${NOT_MINE}
     ORDER BY i.shuffle_rank LIMIT 1`,
  );
  for (let holders = 0; holders < args.overlap; holders++) {
    for (const condition of conditions) {
      const found = (seek.pluck().get({ ...params, holders, condition, offset }) ??
        wrap.pluck().get({ ...params, holders, condition, offset })) as number | undefined;
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

// Items never change after a campaign is created, so its conditions can be remembered.
const conditionsByCampaign = new Map<string, (string | null)[]>();

/** The conditions of a campaign's ordinary items, in a stable order. */
function campaignItemConditions(db: Db, campaignId: number): (string | null)[] {
  const key = `${db.name}#${campaignId}`;
  let conditions = conditionsByCampaign.get(key);
  if (!conditions) {
    conditions = db
      .prepare("SELECT DISTINCT condition FROM items WHERE campaign_id = ? AND kind = 'normal' ORDER BY condition")
      .pluck()
      .all(campaignId) as (string | null)[];
    conditionsByCampaign.set(key, conditions);
  }
  return [...conditions];
}

const kindsByCampaign = new Map<string, { normal: number; special: number }>();

/** How many ordinary and quality/qualification items a campaign has (remembered: items are fixed at creation). */
function campaignItemKinds(db: Db, campaignId: number): { normal: number; special: number } {
  const key = `${db.name}#${campaignId}`;
  let kinds = kindsByCampaign.get(key);
  if (!kinds) {
    kinds = db
      .prepare(
        "SELECT COALESCE(SUM(kind = 'normal'), 0) AS normal, COALESCE(SUM(kind != 'normal'), 0) AS special FROM items WHERE campaign_id = ?",
      )
      .get(campaignId) as { normal: number; special: number };
    kindsByCampaign.set(key, kinds);
  }
  return kinds;
}

export function campaignItemCount(db: Db, campaignId: number): number {
  const { normal, special } = campaignItemKinds(db, campaignId);
  return normal + special;
}

/** The rater's assignments per item kind (any status). */
export function raterAssignmentKinds(db: Db, raterId: number): Record<string, number> {
  const rows = db
    .prepare(
      'SELECT i.kind, COUNT(*) AS n FROM assignments a CROSS JOIN items i ON i.id = a.item_id WHERE a.rater_id = ? GROUP BY i.kind',
    )
    .all(raterId) as { kind: string; n: number }[];
  return Object.fromEntries(rows.map((row) => [row.kind, row.n]));
}

export function insertLease(
  db: Db,
  itemId: number,
  raterId: number,
  shown: ShownRecord,
  now: number,
  expiresAt: number,
): number {
  const { lastInsertRowid } = db
    .prepare(
      "INSERT INTO assignments (item_id, rater_id, status, shown_json, leased_at, lease_expires_at) VALUES (?, ?, 'leased', ?, ?, ?)",
    )
    .run(itemId, raterId, JSON.stringify(shown), now, expiresAt);
  adjustHolders(db, itemId, 1);
  return Number(lastInsertRowid);
}

/** An assignment that was already answered elsewhere (an imported results row): submitted, never leased here. */
export function insertSubmittedAssignment(
  db: Db,
  args: { itemId: number; raterId: number; shown: ShownRecord; leasedAt: number; submittedAt: number },
): number {
  const { lastInsertRowid } = db
    .prepare(
      "INSERT INTO assignments (item_id, rater_id, status, shown_json, leased_at, lease_expires_at) VALUES (?, ?, 'submitted', ?, ?, ?)",
    )
    .run(args.itemId, args.raterId, JSON.stringify(args.shown), args.leasedAt, args.submittedAt);
  return Number(lastInsertRowid);
}

export function renewLease(db: Db, id: number, expiresAt: number): void {
  db.prepare("UPDATE assignments SET status = 'leased', lease_expires_at = ? WHERE id = ?").run(expiresAt, id);
}

export function markSubmitted(db: Db, id: number): void {
  db.prepare("UPDATE assignments SET status = 'submitted' WHERE id = ?").run(id);
}

/**
 * How many of the rater's assignments ended skipped: their own skips, and leases they let run out
 * while the item went to other raters (a skip by waiting; the two are stored alike).
 */
export function countRaterSkipped(db: Db, raterId: number): number {
  return db
    .prepare("SELECT COUNT(*) FROM assignments WHERE rater_id = ? AND status = 'skipped'")
    .pluck()
    .get(raterId) as number;
}

/** Skipping (or dropping a lease that lost its room) frees the rater's place on the item. */
export function markSkipped(db: Db, assignment: AssignmentRecord): void {
  db.prepare("UPDATE assignments SET status = 'skipped', counted = 0 WHERE id = ?").run(assignment.id);
  if (assignment.counted) adjustHolders(db, assignment.itemId, -1);
}

/**
 * Whether another rater holds an open lease on an ordinary item this rater has not had: when the
 * rater gets nothing, such an item may still come to them once that lease is answered away or runs
 * out. Walks the open leases (assignments_expiring), which are few: raters times prefetch.
 */
export function othersHoldLeasedItems(db: Db, campaignId: number, raterId: number): boolean {
  const found = db
    .prepare(
      `SELECT 1 FROM assignments a INDEXED BY assignments_expiring CROSS JOIN items i ON i.id = a.item_id
       WHERE a.status = 'leased' AND a.counted = 1 AND a.rater_id != @raterId AND i.campaign_id = @campaignId AND i.kind = 'normal'
         AND NOT EXISTS (SELECT 1 FROM assignments m WHERE m.item_id = i.id AND m.rater_id = @raterId)
       LIMIT 1`,
    )
    .get({ campaignId, raterId });
  return found !== undefined;
}

export function countRaterSubmitted(db: Db, raterId: number): number {
  return db
    .prepare("SELECT COUNT(*) FROM assignments WHERE rater_id = ? AND status = 'submitted'")
    .pluck()
    .get(raterId) as number;
}

/**
 * Items this rater could still get: their open leases, ordinary items with room under the overlap
 * that are not theirs yet, and every quality-control or qualification item not yet theirs.
 * Counted from the items_pool index and the rater's own assignments, not by scanning items.
 */
export function countRaterRemaining(db: Db, args: { campaignId: number; raterId: number; overlap: number }): number {
  const { normal, special } = campaignItemKinds(db, args.campaignId);
  const full = db.prepare('SELECT full_items FROM campaigns WHERE id = ?').pluck().get(args.campaignId) as number;
  const withRoom = normal - full;
  const mine = db
    .prepare(
      `SELECT
         COALESCE(SUM(i.kind = 'normal' AND i.holders < @overlap), 0) AS normalWithRoom,
         COALESCE(SUM(i.kind != 'normal'), 0) AS special,
         COALESCE(SUM(a.status = 'leased'), 0) AS leased
       FROM assignments a CROSS JOIN items i ON i.id = a.item_id WHERE a.rater_id = @raterId`,
    )
    .get(args) as { normalWithRoom: number; special: number; leased: number };
  // Items not yet the rater's, plus their own open leases.
  return withRoom - mine.normalWithRoom + (special - mine.special) + mine.leased;
}
