// The batch queries of the large formats (JSONL, CSV, Parquet): each call returns a whole window
// of judgements as one row of aggregates, so JavaScript does a handful of operations per batch
// instead of ~15 per row (issue 5). What the aggregates hold, and the engine that writes the
// file from them, is in columnar-engine.ts (issue 12).
//
// Batches follow judgement ids (keyset pagination, `j.id > @after ... LIMIT @limit`), so no
// cursor stays open between them. Only fixed SQL text is built here.
import type { Db } from './db';
import { lastJudgementId, LIVE_FROM, type BatchHelper } from './export-rows';

/** What the batch queries read from an export (export/source.ts ExportSource has these and more). */
export interface BatchQuerySource {
  db: Db;
  campaign: { id: number; name: string };
  revealRaters: boolean;
  fullShown: boolean;
  batchReader: BatchHelper | null;
}

export const BATCH_ROWS = 8192;

/** The rater column: pseudonym unless revealed. */
export const raterSql = (source: BatchQuerySource): string => (source.revealRaters ? 'r.name' : 'r.pseudonym');

/**
 * A batch is a window of judgement ids, (after, after + BATCH_ROWS]: judgements are append-only, so
 * ids are dense and a window holds at most BATCH_ROWS rows of any campaign (fewer of this one when
 * campaigns interleave). Unlike keyset pages (after the last id the previous batch held), windows
 * are known in advance, so two connections can read alternate ones (batch-reader.ts). The LIMIT
 * never cuts a window short; it keeps SQLite from flattening the ordered subquery (see batches).
 */
export const WINDOW_SQL = 'AND j.id > @after AND j.id <= @after + @limit ORDER BY j.id LIMIT @limit';

/**
 * How the batch queries are shared with the batch reader thread, when there is one: `share`: this
 * thread reads every other window itself; `delegate`: the worker reads them all, two windows
 * ahead. The columnar engine delegates (columnar-engine.ts): DuckDB waits on this thread for each
 * window, so a window read here is time DuckDB stands still.
 */
export type WindowSharing = 'share' | 'delegate';

/**
 * Runs a batch statement (one row: count, last judgement id, aggregates; parameters @after and
 * @limit, see WINDOW_SQL) over every window up to the snapshot's last judgement, in order, and
 * yields the rows of the windows that hold any of the campaign's judgements.
 */
export function* windowRows(
  source: BatchQuerySource,
  sql: string,
  params: Record<string, unknown>,
  sharing: WindowSharing,
): Generator<unknown[]> {
  const statement = source.db.prepare(sql).raw();
  const lastId = lastJudgementId(source.db);
  const windows = Math.ceil(lastId / BATCH_ROWS);
  const args = (window: number) => ({
    ...params,
    campaignId: source.campaign.id,
    after: window * BATCH_ROWS,
    limit: BATCH_ROWS,
  });
  const helper = source.batchReader;
  // Which windows this thread reads; the helper is asked for the others up to two windows ahead,
  // and answers in the order it was asked.
  const own = (window: number) => !helper || (sharing === 'share' && window % 2 === 0);
  let requested = 0;
  for (let window = 0; window < windows; window++) {
    for (; helper && requested < windows && requested <= window + 2; requested++)
      if (!own(requested)) helper.request(sql, args(requested));
    const row = own(window) ? (statement.get(args(window)) as unknown[]) : helper!.take();
    if (row[0]) yield row;
  }
}

/**
 * Runs `inner` (per-row expressions over the LIVE_FROM tables, each aliased) over batches of live
 * judgements and `outer` (aggregates) over each batch. The outer query always returns n (rows in
 * the batch) and last (the batch's last judgement id).
 *
 * Order: the inner query is ORDER BY j.id with a LIMIT, so SQLite cannot flatten it and runs it as
 * a co-routine that hands rows to the aggregates in that order. An ORDER BY inside each aggregate
 * would say so explicitly but sorts every column again (2.5x slower for Parquet's 15 columns);
 * the tests check row order in every format.
 */
export function batches(
  source: BatchQuerySource,
  inner: string,
  outer: string,
  params: Record<string, unknown>,
  sharing: WindowSharing,
): Generator<unknown[]> {
  return windowRows(
    source,
    `SELECT COUNT(*) AS n, MAX(jid) AS last, ${outer} FROM (SELECT j.id AS jid, ${inner} ${LIVE_FROM} ${WINDOW_SQL})`,
    params,
    sharing,
  );
}
