// The export's reads of judgements, assignments, items and raters: the live-judgement cursor (with
// the rater's name for --reveal-raters and the assignment's ids for MTurk), counts, the items'
// field names, and the read-only snapshot connections the large exports stream from. Cursors come
// back as better-sqlite3 iterators (.iterate(), .raw()) so rows stream one at a time and memory
// stays flat (issue 5); the batch SQL the fast formats build is in export-sql.ts.
import Database, { type Statement } from 'better-sqlite3';
import { shownOrderJson, type ShownJson } from '../util/shown-order';
import type { Db } from './db';

export interface ExportRow {
  judgement_id: number;
  assignment_id: number;
  item_id: number;
  item_position: number;
  item_kind: string;
  payload_json: string;
  hidden_json: string;
  condition: string | null;
  rater_id: number;
  rater_pseudonym: string;
  rater_name: string;
  answer_json: string;
  shown_json: string;
  active_ms: number;
  leased_at: number;
  submitted_at: number;
  shown_order: string;
}

export interface ItemRow {
  id: number;
  position: number;
  kind: string;
  payload_json: string;
  hidden_json: string;
  condition: string | null;
}

/**
 * A second connection that can run a batch query for this thread (export/batch-reader.ts's
 * worker): answers come back in request order. Declared here so the store's batch queries need
 * nothing from the export folder.
 */
export interface BatchHelper {
  request(sql: string, params: Record<string, unknown>): void;
  take(): unknown[];
}

// Driven by judgements in rowid order (CROSS JOIN fixes the join order): SQLite then streams rows
// already in judgement order instead of sorting the whole campaign in a temp B-tree first, which
// made the cursor ~30% slower and its first row wait for the sort.
export const LIVE_FROM = `
  FROM judgements j
  CROSS JOIN assignments a ON a.id = j.assignment_id
  CROSS JOIN items i ON i.id = a.item_id
  CROSS JOIN raters r ON r.id = a.rater_id
  WHERE i.campaign_id = @campaignId AND j.action = 'submit'
    AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)`;

/**
 * judgements.shown_order, written at submit time since migration 0003; older rows (and rows an
 * import wrote without it) derive it from shown_json through a function registered on the
 * connection (registerExportFunctions). COALESCE evaluates the fallback only when needed.
 */
export const SHOWN_ORDER_SQL = 'COALESCE(j.shown_order, sightline_shown_order(j.shown_json))';

const registered = new WeakSet<Db>();

/** SQL functions the export queries use; idempotent per connection. */
export function registerExportFunctions(db: Db): void {
  if (registered.has(db)) return;
  db.function('sightline_shown_order', { deterministic: true }, (text: unknown) => {
    if (typeof text !== 'string') return '{}';
    let shown: ShownJson | null;
    try {
      shown = JSON.parse(text) as ShownJson;
    } catch {
      throw new Error('project.sqlite: column judgements.shown_json: expected JSON');
    }
    return shownOrderJson(shown);
  });
  registered.add(db);
}

const LIVE_COLUMNS = `j.id AS judgement_id, a.id AS assignment_id, i.id AS item_id, i.position AS item_position, i.kind AS item_kind,
         i.payload_json, i.hidden_json, i.condition, r.id AS rater_id, r.pseudonym AS rater_pseudonym, r.name AS rater_name,
         j.answer_json, j.shown_json, j.active_ms, a.leased_at, j.submitted_at, ${SHOWN_ORDER_SQL} AS shown_order`;

/** Live (not superseded) submissions in judgement order, one row at a time from SQLite's cursor. */
export function iterateExportRows(db: Db, campaignId: number): IterableIterator<ExportRow> {
  registerExportFunctions(db);
  return db
    .prepare(`SELECT ${LIVE_COLUMNS} ${LIVE_FROM} ORDER BY j.id`)
    .iterate({ campaignId }) as IterableIterator<ExportRow>;
}

/**
 * The same rows as arrays (better-sqlite3's raw mode), for the hot loops of the large formats:
 * building one object with 16 named keys per row cost more than everything else the CSV and
 * Parquet writers do. Index with the R constants below.
 */
export function iterateExportRowsRaw(db: Db, campaignId: number): IterableIterator<unknown[]> {
  registerExportFunctions(db);
  return db
    .prepare(`SELECT ${LIVE_COLUMNS} ${LIVE_FROM} ORDER BY j.id`)
    .raw()
    .iterate({ campaignId }) as IterableIterator<unknown[]>;
}

export const R = {
  judgementId: 0,
  assignmentId: 1,
  itemId: 2,
  itemPosition: 3,
  itemKind: 4,
  payloadJson: 5,
  hiddenJson: 6,
  condition: 7,
  raterId: 8,
  raterPseudonym: 9,
  raterName: 10,
  answerJson: 11,
  shownJson: 12,
  activeMs: 13,
  leasedAt: 14,
  submittedAt: 15,
  shownOrder: 16,
} as const;

/** The same rows grouped by item (item position, then judgement), for formats keyed by task/HIT. */
export function iterateExportRowsByItem(db: Db, campaignId: number): IterableIterator<ExportRow> {
  registerExportFunctions(db);
  return db
    .prepare(`SELECT ${LIVE_COLUMNS} ${LIVE_FROM} ORDER BY i.position, j.id`)
    .iterate({ campaignId }) as IterableIterator<ExportRow>;
}

export function countLiveJudgements(db: Db, campaignId: number): number {
  return db.prepare(`SELECT COUNT(*) ${LIVE_FROM}`).pluck().get({ campaignId }) as number;
}

/**
 * The progress total: submitted assignments, found through the items and assignments indexes
 * without touching the judgements. Each submitted assignment has one live submission (an undo
 * puts it back to leased), so this equals countLiveJudgements without its full scan.
 */
export function estimateLiveJudgements(db: Db, campaignId: number): number {
  return db
    .prepare(
      "SELECT COUNT(*) FROM items i JOIN assignments a ON a.item_id = i.id WHERE i.campaign_id = ? AND a.status = 'submitted'",
    )
    .pluck()
    .get(campaignId) as number;
}

/** An upper bound on the campaign's judgements (items times overlap), from the index alone. */
export function mostJudgements(db: Db, campaignId: number): number {
  return db
    .prepare(
      'SELECT COUNT(*) * c.overlap FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE i.campaign_id = ?',
    )
    .pluck()
    .get(campaignId) as number;
}

/** The highest judgement id in the connection's snapshot (0 when there are none). */
export function lastJudgementId(db: Db): number {
  return db.prepare('SELECT COALESCE(MAX(id), 0) FROM judgements').pluck().get() as number;
}

export function iterateItems(db: Db, campaignId: number): IterableIterator<ItemRow> {
  return db
    .prepare(
      'SELECT id, position, kind, payload_json, hidden_json, condition FROM items WHERE campaign_id = ? ORDER BY position',
    )
    .iterate(campaignId) as IterableIterator<ItemRow>;
}

/** Every item (rated or not) with its live judgements, by item position: one LEFT JOIN, so one cursor. */
export function iterateItemsWithJudgements(
  db: Db,
  campaignId: number,
): IterableIterator<ItemRow & { item_id: number } & Partial<Omit<ExportRow, keyof ItemRow>>> {
  return db
    .prepare(
      `SELECT i.id, i.id AS item_id, i.position, i.position AS item_position, i.kind, i.kind AS item_kind, i.payload_json, i.hidden_json, i.condition,
              lj.judgement_id, lj.assignment_id, lj.rater_id, lj.rater_pseudonym, lj.rater_name, lj.answer_json, lj.shown_json,
              lj.active_ms, lj.leased_at, lj.submitted_at
       FROM items i
       LEFT JOIN (
         SELECT j.id AS judgement_id, a.id AS assignment_id, a.item_id, r.id AS rater_id, r.pseudonym AS rater_pseudonym, r.name AS rater_name,
                j.answer_json, j.shown_json, j.active_ms, a.leased_at, j.submitted_at
         FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN raters r ON r.id = a.rater_id
         WHERE j.action = 'submit' AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)
       ) lj ON lj.item_id = i.id
       WHERE i.campaign_id = ?
       ORDER BY i.position, lj.judgement_id`,
    )
    .iterate(campaignId) as never;
}

/**
 * Top-level field names over all items, in first-seen order: streaming writers must emit their
 * header before the first row. One json_each pass over the items gives each item's key list;
 * items mostly share a few lists, so SQLite groups equal lists (with the first position that has
 * each) and the merge here is over a handful, not over every key of every item (which took a
 * third longer). One row of JSON, so the batch reader thread can run it too.
 */
function jsonKeysSql(column: 'payload_json' | 'hidden_json'): string {
  // The column name is one of two fixed strings, never user data.
  return `SELECT json_group_array(json_array(first, json(keys))) FROM (
            SELECT MIN(position) AS first, keys FROM (
              SELECT i.position, (SELECT json_group_array(k.key) FROM json_each(i.${column}) k WHERE typeof(k.key) = 'text') AS keys
              FROM items i WHERE i.campaign_id = @campaignId
            ) GROUP BY keys
          )`;
}

function mergeKeyLists(answer: string): string[] {
  const lists = (JSON.parse(answer) as [number, string[]][]).sort((x, y) => x[0] - y[0]);
  const keys = new Set<string>();
  for (const [, list] of lists) for (const key of list) keys.add(key);
  return [...keys];
}

/**
 * Both field lists: the hidden fields' pass on the helper connection while this thread does the
 * payload's (each is a json_each pass over every item: ~0.4 s on 200k items).
 */
export function itemFieldNames(
  db: Db,
  campaignId: number,
  helper: BatchHelper | null,
): { payload: string[]; hidden: string[] } {
  const here = (sql: string) => db.prepare(sql).pluck().get({ campaignId }) as string;
  helper?.request(jsonKeysSql('hidden_json'), { campaignId });
  const payload = mergeKeyLists(here(jsonKeysSql('payload_json')));
  const hidden = mergeKeyLists(helper ? (helper.take()[0] as string) : here(jsonKeysSql('hidden_json')));
  return { payload, hidden };
}

/** The first live judgement whose JSON SQLite would refuse, and which column it is; undefined when none. */
export function findMalformedJson(
  db: Db,
  campaignId: number,
): { judgement: number; item: number; col: string } | undefined {
  return db
    .prepare(
      `SELECT j.id AS judgement, i.id AS item,
              CASE WHEN NOT json_valid(j.answer_json) THEN 'judgements.answer_json' WHEN NOT json_valid(j.shown_json) THEN 'judgements.shown_json'
                   WHEN NOT json_valid(i.payload_json) THEN 'items.payload_json' ELSE 'items.hidden_json' END AS col
       ${LIVE_FROM} AND NOT (json_valid(j.answer_json) AND json_valid(j.shown_json) AND json_valid(i.payload_json) AND json_valid(i.hidden_json))
       ORDER BY j.id LIMIT 1`,
    )
    .get({ campaignId }) as { judgement: number; item: number; col: string } | undefined;
}

/** A read-only connection to the project's file, for an export's snapshot. */
export function openReadOnly(file: string): Db {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Opens the connection's read transaction and takes its snapshot now: SQLite starts one at the first read, not at BEGIN. */
export function beginSnapshot(db: Db): void {
  db.exec('BEGIN');
  db.prepare('SELECT COUNT(*) FROM sqlite_schema').get();
}

/**
 * Runs batch queries by their SQL text on this connection, each prepared once and in raw mode
 * (one row as an array): the batch reader thread answers the export's batch queries this way.
 */
export function rawRowRunner(db: Db): (sql: string, params: Record<string, unknown> | undefined) => unknown[] {
  const statements = new Map<string, Statement>();
  return (sql, params) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql).raw()));
    return statement.get(params) as unknown[];
  };
}
