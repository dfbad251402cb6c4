import crypto from 'node:crypto';
import { AppError } from '../util/errors';
import { hashSeed } from '../util/random';
import { nowMs } from '../util/time';
import type { Db } from './db';

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
export function insertRater(db: Db, campaignId: number, name: string, campaignSeed: number, source: Record<string, unknown> = {}): RaterRecord {
  return db.transaction(() => {
    if (db.prepare('SELECT 1 FROM raters WHERE campaign_id = ? AND name = ?').get(campaignId, name)) {
      throw new AppError('conflict', `rater "${name}": already registered on this campaign`);
    }
    const token = crypto.randomBytes(24).toString('base64url');
    const count = db.prepare('SELECT COUNT(*) FROM raters WHERE campaign_id = ?').pluck().get(campaignId) as number;
    const pseudonym = `R${String(count + 1).padStart(3, '0')}`;
    const seed = hashSeed(campaignSeed, pseudonym);
    const { lastInsertRowid } = db
      .prepare('INSERT INTO raters (campaign_id, name, pseudonym, token, seed, source_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
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
