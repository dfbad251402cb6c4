import crypto from 'node:crypto';
import { AppError } from '../util/errors';
import { hashSeed } from '../util/random';
import { nowMs } from '../util/time';
import { parseJson, type Db } from './db';

export interface RaterRecord {
  id: number;
  campaignId: number;
  name: string;
  pseudonym: string;
  token: string;
  seed: number;
  status: 'active' | 'revoked' | 'disqualified';
}

const SELECT = 'SELECT id, campaign_id AS campaignId, name, pseudonym, token, seed, status FROM raters';

/** Registers a rater with a fresh unguessable token; the pseudonym is what exports show by default. */
export function insertRater(
  db: Db,
  campaignId: number,
  name: string,
  campaignSeed: number,
  source: Record<string, unknown> = {},
  /** The pseudonym results and exports show; R001, R002, ... in order of registration when absent. */
  givenPseudonym?: string,
): RaterRecord {
  return db.transaction(() => {
    if (db.prepare('SELECT 1 FROM raters WHERE campaign_id = ? AND name = ?').get(campaignId, name)) {
      throw new AppError('conflict', `rater "${name}": already registered on this campaign`);
    }
    const token = crypto.randomBytes(24).toString('base64url');
    const count = db.prepare('SELECT COUNT(*) FROM raters WHERE campaign_id = ?').pluck().get(campaignId) as number;
    const pseudonym = givenPseudonym ?? `R${String(count + 1).padStart(3, '0')}`;
    const seed = hashSeed(campaignSeed, pseudonym);
    const { lastInsertRowid } = db
      .prepare(
        'INSERT INTO raters (campaign_id, name, pseudonym, token, seed, source_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(campaignId, name, pseudonym, token, seed, JSON.stringify(source), nowMs());
    return { id: Number(lastInsertRowid), campaignId, name, pseudonym, token, seed, status: 'active' as const };
  })();
}

export function findRaterByToken(db: Db, token: string): RaterRecord | undefined {
  return db.prepare(`${SELECT} WHERE token = ?`).get(token) as RaterRecord | undefined;
}

export function listRaters(db: Db, campaignId: number): (RaterRecord & { submitted: number })[] {
  return db
    .prepare(
      `SELECT r.id, r.campaign_id AS campaignId, r.name, r.pseudonym, r.token, r.seed, r.status,
              (SELECT COUNT(*) FROM assignments a WHERE a.rater_id = r.id AND a.status = 'submitted') AS submitted
       FROM raters r WHERE r.campaign_id = ? ORDER BY r.id`,
    )
    .all(campaignId) as (RaterRecord & { submitted: number })[];
}

export function findRaterByName(db: Db, campaignId: number, name: string): RaterRecord | undefined {
  return db.prepare(`${SELECT} WHERE campaign_id = ? AND name = ?`).get(campaignId, name) as RaterRecord | undefined;
}

/** Where a rater came from: for a Prolific participant, the PROLIFIC_PID, STUDY_ID and SESSION_ID of their first entry. */
export function raterSource(db: Db, raterId: number): Record<string, unknown> {
  const json = db.prepare('SELECT source_json FROM raters WHERE id = ?').pluck().get(raterId) as string | undefined;
  return json === undefined ? {} : parseJson<Record<string, unknown>>(json, 'raters.source_json');
}

/**
 * A campaign's participants who came in through its Prolific study link: how many entered, and how
 * many of them were given the completion code (screened-out participants free their place on Prolific).
 */
export function countParticipants(db: Db, campaignId: number): { entered: number; completed: number } {
  const row = db
    .prepare(
      `SELECT COUNT(*) AS entered, COALESCE(SUM(completion_outcome = 'completed'), 0) AS completed
       FROM raters WHERE campaign_id = ? AND json_extract(source_json, '$.PROLIFIC_PID') IS NOT NULL`,
    )
    .get(campaignId) as { entered: number; completed: number };
  return row;
}

export type CompletionOutcome = 'completed' | 'screened-out';

export interface CompletionRecord {
  outcome: CompletionOutcome;
  shownAt: number;
}

/** Which Prolific code the rater was first given, and when; null before that. */
export function raterCompletion(db: Db, raterId: number): CompletionRecord | null {
  const row = db
    .prepare('SELECT completion_outcome AS outcome, completion_shown_at AS shownAt FROM raters WHERE id = ?')
    .get(raterId) as { outcome: CompletionOutcome | null; shownAt: number | null } | undefined;
  return row?.outcome && row.shownAt !== null ? { outcome: row.outcome, shownAt: row.shownAt } : null;
}

/** Records the first code a rater is given; a later call keeps the first outcome and time. Returns what is on record. */
export function recordCompletionShown(
  db: Db,
  raterId: number,
  outcome: CompletionOutcome,
  now: number,
): CompletionRecord {
  db.prepare(
    'UPDATE raters SET completion_outcome = ?, completion_shown_at = ? WHERE id = ? AND completion_shown_at IS NULL',
  ).run(outcome, now, raterId);
  return raterCompletion(db, raterId)!;
}

/** A campaign's raters as an export's provenance lists them, with the Prolific code each was first given. */
export function listRatersForProvenance(
  db: Db,
  campaignId: number,
): { pseudonym: string; name: string; seed: number; status: string; completion: CompletionRecord | null }[] {
  const rows = db
    .prepare(
      'SELECT pseudonym, name, seed, status, completion_outcome AS outcome, completion_shown_at AS shownAt FROM raters WHERE campaign_id = ? ORDER BY id',
    )
    .all(campaignId) as {
    pseudonym: string;
    name: string;
    seed: number;
    status: string;
    outcome: CompletionOutcome | null;
    shownAt: number | null;
  }[];
  return rows.map(({ outcome, shownAt, ...rater }) => ({
    ...rater,
    completion: outcome && shownAt !== null ? { outcome, shownAt } : null,
  }));
}

export function raterCampaignId(db: Db, raterId: number): number | undefined {
  return db.prepare('SELECT campaign_id FROM raters WHERE id = ?').pluck().get(raterId) as number | undefined;
}
