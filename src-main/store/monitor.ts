import type { Db } from './db';

export interface RaterCounts {
  id: number;
  name: string;
  pseudonym: string;
  status: 'active' | 'revoked' | 'disqualified';
  submitted: number;
  skipped: number;
  openLeases: number;
  expiredLeases: number;
  flagged: number;
}

export function raterCounts(db: Db, campaignId: number, now: number): RaterCounts[] {
  return db
    .prepare(
      `SELECT r.id, r.name, r.pseudonym, r.status,
         (SELECT COUNT(*) FROM assignments a WHERE a.rater_id = r.id AND a.status = 'submitted') AS submitted,
         (SELECT COUNT(*) FROM assignments a WHERE a.rater_id = r.id AND a.status = 'skipped') AS skipped,
         (SELECT COUNT(*) FROM assignments a WHERE a.rater_id = r.id AND a.status = 'leased' AND a.lease_expires_at > @now) AS openLeases,
         (SELECT COUNT(*) FROM assignments a WHERE a.rater_id = r.id AND a.status = 'leased' AND a.lease_expires_at <= @now) AS expiredLeases,
         (SELECT COUNT(*) FROM flags f JOIN assignments a ON a.id = f.assignment_id WHERE a.rater_id = r.id) AS flagged
       FROM raters r WHERE r.campaign_id = @campaignId ORDER BY r.id`,
    )
    .all({ campaignId, now }) as RaterCounts[];
}

/** Items each rater holds or has answered, per condition (ordinary items only). */
export function conditionCounts(db: Db, campaignId: number): { raterId: number; condition: string; n: number }[] {
  return db
    .prepare(
      `SELECT a.rater_id AS raterId, i.condition AS condition, COUNT(*) AS n
       FROM assignments a JOIN items i ON i.id = a.item_id
       WHERE i.campaign_id = ? AND i.kind = 'normal' AND i.condition IS NOT NULL AND a.status != 'skipped'
       GROUP BY a.rater_id, i.condition`,
    )
    .all(campaignId) as { raterId: number; condition: string; n: number }[];
}

export function campaignConditions(db: Db, campaignId: number): string[] {
  return db
    .prepare(
      "SELECT DISTINCT condition FROM items WHERE campaign_id = ? AND kind = 'normal' AND condition IS NOT NULL ORDER BY condition",
    )
    .pluck()
    .all(campaignId) as string[];
}

export function flaggedItems(db: Db, campaignId: number) {
  return db
    .prepare(
      `SELECT f.id AS flagId, i.id AS itemId, i.position, r.pseudonym AS rater, f.comment, f.created_at AS createdAt
       FROM flags f JOIN assignments a ON a.id = f.assignment_id JOIN items i ON i.id = a.item_id JOIN raters r ON r.id = a.rater_id
       WHERE i.campaign_id = ? ORDER BY f.id DESC LIMIT 500`,
    )
    .all(campaignId) as {
    flagId: number;
    itemId: number;
    position: number;
    rater: string;
    comment: string;
    createdAt: number;
  }[];
}

export function nextLeaseExpiry(db: Db, campaignId: number, now: number): number | null {
  return (db
    .prepare(
      "SELECT MIN(a.lease_expires_at) FROM assignments a JOIN items i ON i.id = a.item_id WHERE i.campaign_id = ? AND a.status = 'leased' AND a.lease_expires_at > ?",
    )
    .pluck()
    .get(campaignId, now) ?? null) as number | null;
}

/** The earliest open lease in the whole project that runs out after now (the lease timer's next alarm). */
export function earliestLeaseExpiry(db: Db, now: number): number | null {
  // Counted leases only, so the partial index assignments_expiring answers it in one seek.
  return (db
    .prepare(
      "SELECT MIN(lease_expires_at) FROM assignments WHERE status = 'leased' AND counted = 1 AND lease_expires_at > ?",
    )
    .pluck()
    .get(now) ?? null) as number | null;
}

export const LEASES_EXPIRED_BETWEEN_SQL = `SELECT i.campaign_id AS campaignId, COUNT(*) AS expired
  FROM assignments a JOIN items i ON i.id = a.item_id
  WHERE a.status = 'leased' AND a.counted = 1 AND a.lease_expires_at > @from AND a.lease_expires_at <= @to
  GROUP BY i.campaign_id ORDER BY i.campaign_id`;

/**
 * Leases that ran out in (from, to], per campaign. Counted leases only, so this is a range seek on
 * assignments_expiring rather than a scan (about 20 ms at 300k assignments). A lease that a rater's
 * request reclaimed between its expiry and the timer's alarm (the same millisecond, in practice) is
 * not counted; the next answer's 'campaign.progress' refreshes the monitor anyway.
 */
export function leasesExpiredBetween(db: Db, from: number, to: number): { campaignId: number; expired: number }[] {
  return db.prepare(LEASES_EXPIRED_BETWEEN_SQL).all({ from, to }) as { campaignId: number; expired: number }[];
}

/** Ends a rater's open leases now, so their items go back to the pool. */
export function releaseLeases(db: Db, raterId: number, now: number): void {
  db.prepare(
    "UPDATE assignments SET lease_expires_at = ? WHERE rater_id = ? AND status = 'leased' AND lease_expires_at > ?",
  ).run(now, raterId, now);
}
