import type { TemplateSpec } from '../contract/types';
import { AppError } from '../util/errors';
import { hashSeed, mulberry32, shuffleInPlace } from '../util/random';
import { nowMs } from '../util/time';
import { parseJson, type Db } from './db';

export interface CampaignRecord {
  id: number;
  name: string;
  templateId: string;
  template: TemplateSpec;
  instructions: string;
  instructionsVersion: number;
  overlap: number;
  leaseSeconds: number;
  maxItemsPerRater: number | null;
  orderMode: 'random' | 'fixed';
  seed: number;
  status: 'open' | 'paused' | 'closed';
  settings: Record<string, unknown>;
  /** When the campaign was archived (ms since the epoch), or null while it is live. */
  archivedAt: number | null;
}

export interface NewCampaign {
  name: string;
  template: TemplateSpec;
  instructions: string;
  overlap: number;
  leaseSeconds: number;
  maxItemsPerRater?: number | null;
  orderMode?: 'random' | 'fixed';
  seed: number;
  settings?: Record<string, unknown>;
}

export interface NewItem {
  payload: Record<string, unknown>;
  hidden?: Record<string, unknown>;
  condition?: string | null;
  kind?: 'normal' | 'gold' | 'attention' | 'qualification';
}

interface CampaignRow {
  id: number;
  name: string;
  template_id: string;
  template_json: string;
  instructions: string;
  instructions_version: number;
  overlap: number;
  lease_seconds: number;
  max_items_per_rater: number | null;
  order_mode: 'random' | 'fixed';
  seed: number;
  status: 'open' | 'paused' | 'closed';
  settings_json: string;
  archived_at: number | null;
}

const toRecord = (row: CampaignRow): CampaignRecord => ({
  id: row.id,
  name: row.name,
  templateId: row.template_id,
  template: parseJson<TemplateSpec>(row.template_json, 'campaigns.template_json'),
  instructions: row.instructions,
  instructionsVersion: row.instructions_version,
  overlap: row.overlap,
  leaseSeconds: row.lease_seconds,
  maxItemsPerRater: row.max_items_per_rater,
  orderMode: row.order_mode,
  seed: row.seed,
  status: row.status,
  settings: parseJson<Record<string, unknown>>(row.settings_json, 'campaigns.settings_json'),
  archivedAt: row.archived_at ?? null,
});

/** Creates a campaign with its items in one transaction: all of it or nothing. */
export function insertCampaign(db: Db, campaign: NewCampaign, items: NewItem[]): number {
  return db.transaction(() => {
    if (db.prepare('SELECT 1 FROM campaigns WHERE name = ?').get(campaign.name)) {
      throw new AppError('conflict', `campaign ${campaign.name}: a campaign with this name already exists`);
    }
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO campaigns (name, template_id, template_json, instructions, overlap, lease_seconds, max_items_per_rater, order_mode, seed, settings_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        campaign.name,
        campaign.template.id,
        JSON.stringify(campaign.template),
        campaign.instructions,
        campaign.overlap,
        campaign.leaseSeconds,
        campaign.maxItemsPerRater ?? null,
        campaign.orderMode ?? 'random',
        campaign.seed,
        JSON.stringify(campaign.settings ?? {}),
        nowMs(),
      );
    const campaignId = Number(lastInsertRowid);
    const insertItem = db.prepare(
      'INSERT INTO items (campaign_id, position, kind, payload_json, hidden_json, condition, shuffle_rank) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    // Random order: a seeded campaign-wide shuffle; each rater starts at their own offset in it.
    const ranks = items.map((_, position) => position);
    if ((campaign.orderMode ?? 'random') === 'random')
      shuffleInPlace(ranks, mulberry32(hashSeed(campaign.seed, 'item order')));
    items.forEach((item, position) =>
      insertItem.run(
        campaignId,
        position,
        item.kind ?? 'normal',
        JSON.stringify(item.payload),
        JSON.stringify(item.hidden ?? {}),
        item.condition ?? null,
        ranks[position],
      ),
    );
    return campaignId;
  })();
}

export function getCampaign(db: Db, id: number): CampaignRecord {
  const row = db.prepare('SELECT * FROM campaigns WHERE id = ?').get(id) as CampaignRow | undefined;
  if (!row) throw new AppError('not_found', `campaign ${id}: no such campaign`);
  return toRecord(row);
}

export function findCampaignByName(db: Db, name: string): CampaignRecord {
  const row = db.prepare('SELECT * FROM campaigns WHERE name = ?').get(name) as CampaignRow | undefined;
  if (!row) {
    const names = (db.prepare('SELECT name FROM campaigns ORDER BY id').pluck().all() as string[]).map((n) => `"${n}"`);
    throw new AppError(
      'not_found',
      `campaign "${name}": no such campaign; this project has ${names.join(', ') || 'none'}`,
    );
  }
  return toRecord(row);
}

/** The campaign whose Prolific study link carries this entry key (settings.prolific.entryKey), if any. */
export function findCampaignByEntryKey(db: Db, entryKey: string): CampaignRecord | undefined {
  const row = db
    .prepare("SELECT * FROM campaigns WHERE json_extract(settings_json, '$.prolific.entryKey') = ?")
    .get(entryKey) as CampaignRow | undefined;
  return row && toRecord(row);
}

/** Live campaigns, and archived ones too when asked. */
export function listCampaigns(db: Db, options: { includeArchived?: boolean } = {}): CampaignRecord[] {
  const sql = options.includeArchived
    ? 'SELECT * FROM campaigns ORDER BY id'
    : 'SELECT * FROM campaigns WHERE archived_at IS NULL ORDER BY id';
  return (db.prepare(sql).all() as CampaignRow[]).map(toRecord);
}

/** What raters have submitted in a campaign (judgements, undos included, and flags): rows that are never deleted. */
export function campaignRaterRecords(db: Db, campaignId: number): { judgements: number; flags: number } {
  return db
    .prepare(
      `SELECT
         (SELECT COUNT(*) FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = a.item_id WHERE i.campaign_id = @id) AS judgements,
         (SELECT COUNT(*) FROM flags f JOIN assignments a ON a.id = f.assignment_id JOIN items i ON i.id = a.item_id WHERE i.campaign_id = @id) AS flags`,
    )
    .get({ id: campaignId }) as { judgements: number; flags: number };
}

/**
 * Archives a campaign: closed to raters, out of the lists, and renamed so that its name is free
 * again. A campaign already holding the new name is a conflict, not a silent overwrite.
 */
export function archiveCampaignRow(db: Db, campaignId: number, archivedName: string, now: number): void {
  db.transaction(() => {
    if (db.prepare('SELECT 1 FROM campaigns WHERE name = ? AND id <> ?').get(archivedName, campaignId)) {
      throw new AppError(
        'conflict',
        `campaign ${archivedName}: a campaign with this name already exists; rename it before archiving`,
      );
    }
    db.prepare(
      "UPDATE campaigns SET name = ?, status = 'closed', archived_at = ? WHERE id = ? AND archived_at IS NULL",
    ).run(archivedName, now, campaignId);
  })();
}

/**
 * Deletes a campaign with its items, raters and assignments (ON DELETE CASCADE). Only for a campaign
 * no rater has submitted anything to: judgements and flags reference assignments without a cascade,
 * so SQLite refuses the delete (and the append-only triggers would too) rather than lose them.
 */
export function deleteCampaignRow(db: Db, campaignId: number): void {
  db.prepare('DELETE FROM campaigns WHERE id = ?').run(campaignId);
}

export interface CampaignCounts {
  itemCount: number;
  raterCount: number;
  submitted: number;
}

export function campaignCounts(db: Db, campaignId: number): CampaignCounts {
  return db
    .prepare(
      `SELECT
         (SELECT COUNT(*) FROM items WHERE campaign_id = @id) AS itemCount,
         (SELECT COUNT(*) FROM raters WHERE campaign_id = @id) AS raterCount,
         (SELECT COUNT(*) FROM assignments a JOIN items i ON i.id = a.item_id
           WHERE i.campaign_id = @id AND a.status = 'submitted') AS submitted`,
    )
    .get({ id: campaignId }) as CampaignCounts;
}

export interface ItemRecord {
  id: number;
  campaignId: number;
  position: number;
  kind: string;
  payload: Record<string, unknown>;
}

export function getItemPayload(db: Db, itemId: number): ItemRecord {
  const row = db.prepare('SELECT id, campaign_id, position, kind, payload_json FROM items WHERE id = ?').get(itemId) as
    | { id: number; campaign_id: number; position: number; kind: string; payload_json: string }
    | undefined;
  if (!row) throw new AppError('not_found', `item ${itemId}: no such item`);
  return {
    id: row.id,
    campaignId: row.campaign_id,
    position: row.position,
    kind: row.kind,
    payload: parseJson(row.payload_json, 'items.payload_json'),
  };
}

/** A campaign's item ids in position order. */
export function itemIdsByPosition(db: Db, campaignId: number): number[] {
  return db.prepare('SELECT id FROM items WHERE campaign_id = ? ORDER BY position').pluck().all(campaignId) as number[];
}

export function countCampaigns(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get() as number;
}

export function setCampaignStatus(db: Db, campaignId: number, status: CampaignRecord['status']): void {
  db.prepare('UPDATE campaigns SET status = ? WHERE id = ?').run(status, campaignId);
}

/** New instructions start a new instructions version, so each judgement names the text its rater saw. */
export function replaceCampaignInstructions(db: Db, campaignId: number, instructions: string): void {
  db.prepare('UPDATE campaigns SET instructions = ?, instructions_version = instructions_version + 1 WHERE id = ?').run(
    instructions,
    campaignId,
  );
}

/** All of a campaign's items, every kind, counted now (campaignItemCount in assignments.ts caches). */
export function countCampaignItems(db: Db, campaignId: number): number {
  return db.prepare('SELECT COUNT(*) FROM items WHERE campaign_id = ?').pluck().get(campaignId) as number;
}

/** A campaign's normal items' hidden_json (what the researcher knows, e.g. the feature id), in position order. */
export function normalItemsHidden(db: Db, campaignId: number): { id: number; hidden_json: string }[] {
  return db
    .prepare("SELECT id, hidden_json FROM items WHERE campaign_id = ? AND kind = 'normal' ORDER BY position")
    .all(campaignId) as { id: number; hidden_json: string }[];
}
