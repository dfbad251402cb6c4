// The columnar engine behind the JSONL, CSV and Parquet exports (issue 12): DuckDB, through its
// Node API. SQLite stays the database; DuckDB only writes files. It pulls the campaign's live
// judgements from SQLite through a table function (sightline_windows, one row per window of
// judgement ids, each column one UTF-8 buffer of values joined with U+001E), unnests them into
// typed columns and streams them through `COPY (query) TO file`: its CSV writer quotes, its JSON
// writer serialises, its Parquet writer encodes (dictionary + Snappy). The file is written on
// DuckDB's threads while the batch reader thread (export/batch-reader.ts) reads the next windows.
//
// Why values cross as joined buffers: a JavaScript call per value (appender or vector setItem)
// measured ~0.8 µs, 8+ s for a million judgements' text cells; one buffer per column per window
// is ~20 calls per 8,192 judgements, and DuckDB's string_split does the rest in C++.
// U+001E never occurs unescaped in JSON text, and every text column crosses JSON-quoted.
import { DuckDBBlobValue, DuckDBInstance, DuckDBTableFunction, BLOB, type DuckDBConnection } from '@duckdb/node-api';
import { type BatchQuerySource, batches } from './export-sql';

/** How a column's values cross from SQLite: see windowColumnSql. */
export type CrossingKind = 'integer' | 'text' | 'json';

/** A column read from SQLite per judgement: `sql` over LIVE_FROM's tables (j, a, i, r). */
export interface CrossingColumn {
  name: string;
  sql: string;
  kind: CrossingKind;
}

const SEPARATOR_SQL = 'char(30)';

/**
 * The SQLite side of one window: count, last judgement id, then per column its values joined with
 * U+001E as a BLOB (a Buffer in one copy). Integers as decimal text ('' for NULL: group_concat
 * would skip a NULL and shift the column), text as JSON strings (so a U+001E in a rater's answer
 * arrives escaped), JSON documents as stored ('null' for NULL).
 */
function windowColumnSql(columns: readonly CrossingColumn[]): { inner: string; outer: string } {
  const inner = columns
    .map((column, index) => {
      const value =
        column.kind === 'integer'
          ? `COALESCE(${column.sql}, '')`
          : column.kind === 'text'
            ? `json_quote(${column.sql})`
            : `COALESCE(${column.sql}, 'null')`;
      return `${value} AS c${index}`;
    })
    .join(', ');
  const outer = columns.map((_, index) => `CAST(group_concat(c${index}, ${SEPARATOR_SQL}) AS BLOB)`).join(', ');
  return { inner, outer };
}

/**
 * The DuckDB relation of the judgements, one row each, typed: integers as BIGINT, text as VARCHAR,
 * documents as their JSON text (VARCHAR; each format casts to JSON where it needs to). The unnests sit in one SELECT, so DuckDB zips them row by row.
 */
function judgementRelationSql(columns: readonly CrossingColumn[]): string {
  const split = (index: number) => `unnest(string_split(decode(c${index}), chr(30))) AS u${index}`;
  const typed = columns
    .map((column, index) => {
      const u = `u${index}`;
      const value =
        column.kind === 'integer'
          ? `CAST(NULLIF(${u}, '') AS BIGINT)`
          : column.kind === 'text'
            ? `CASE WHEN ${u} = 'null' THEN NULL ELSE ${jsonStringTextSql(u)} END`
            : u;
      return `${value} AS ${quoteIdentifier(column.name)}`;
    })
    .join(', ');
  return `(SELECT ${typed} FROM (SELECT ${columns.map((_, index) => split(index)).join(', ')} FROM sightline_windows()))`;
}

/**
 * The text of a JSON string `json` (DuckDB): one without a backslash is its text in quotes, a
 * cut rather than a parse.
 */
export const jsonStringTextSql = (json: string): string =>
  `CASE WHEN contains(${json}, '\\') THEN json_extract_string(${json}, '$') ELSE ${json}[2:-2] END`;

/**
 * A DuckDB identifier in double quotes (quotes doubled). Column names come from question ids and
 * payload keys; they name output columns only and never reach a value or a path.
 */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A value DuckDB binds as a parameter ($1, $2, ...), collected while a query is built. */
export class EngineParams {
  readonly values: (string | number)[] = [];
  bind(value: string | number): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A file path inside COPY ... TO, which takes no parameter: a string literal, quotes doubled. */
const pathLiteral = (file: string): string => `'${file.replace(/'/g, "''")}'`;

export interface CopyRequest {
  source: BatchQuerySource;
  /** What crosses from SQLite (see CrossingColumn). */
  columns: readonly CrossingColumn[];
  /** DuckDB threads (default 1: see copyJudgements). */
  threads?: number;
  /** SQLite parameters the columns' SQL uses (JSON paths, see columnar-formats.ts). */
  sqliteParams?: Record<string, string>;
  /** The output columns over the judgement relation `r` (its columns are named as `columns`). */
  select: (params: EngineParams) => string;
  /** COPY options, e.g. `FORMAT csv, HEADER` (fixed text only). */
  options: string;
  /** The file DuckDB creates (a temp name beside the target, see atomic-output.ts). */
  file: string;
  /** Called with each window's judgement count; a throw stops the export (cancel) with that error. */
  onRows: (rows: number) => void;
}

/**
 * Writes the campaign's live judgements to `file` with one COPY statement. DuckDB runs on its own
 * threads; this thread answers its table function one window at a time, so the export streams:
 * memory holds a window and what DuckDB buffers (a Parquet row group), whatever the size.
 */
export async function copyJudgements(request: CopyRequest): Promise<void> {
  const { source, columns } = request;
  const { inner, outer } = windowColumnSql(columns);
  // With a batch reader, its thread runs every window's SQLite query, two ahead: DuckDB's scan thread
  // waits on this thread for each window, so this thread only hands over finished buffers.
  const windows = batches(source, inner, outer, request.sqliteParams ?? {}, 'delegate');
  // The scan runs on one thread (setMaxThreads(1)), which keeps the windows (and so the rows) in
  // judgement order; COPY keeps insertion order (preserve_insertion_order, DuckDB's default).
  // Threads beyond it only help where the sink has work of its own (Parquet's row-group encoding:
  // measured 23.8 -> 13.1 s on a million judgements); for CSV and JSON a second thread measured
  // 30-40% more CPU and no faster.
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(request.threads ?? 1),
    preserve_insertion_order: 'true',
  });
  const connection = await instance.connect();
  // Zoned timestamps (Parquet's UTC-adjusted times) are cast in the session's zone: UTC, not the machine's.
  await connection.run("SET TimeZone = 'UTC'");
  let failure: unknown = null;
  try {
    connection.registerTableFunction(
      windowsFunction(columns.length, windows, request.onRows, (error) => (failure = error)),
    );
    const params = new EngineParams();
    const sql = `COPY (SELECT ${request.select(params)} FROM ${judgementRelationSql(columns)} r) TO ${pathLiteral(request.file)} (${request.options})`;
    await runWithParams(connection, sql, params.values);
  } catch (error) {
    throw failure ?? error;
  } finally {
    windows.return(undefined);
    connection.closeSync();
    instance.closeSync();
  }
}

async function runWithParams(connection: DuckDBConnection, sql: string, values: (string | number)[]): Promise<void> {
  if (values.length === 0) {
    await connection.run(sql);
    return;
  }
  const statement = await connection.prepare(sql);
  statement.bind(values);
  await statement.run();
}

/** The table function: each call hands DuckDB the next window that holds the campaign's judgements. */
function windowsFunction(
  columnCount: number,
  windows: Generator<unknown[]>,
  onRows: (rows: number) => void,
  fail: (error: unknown) => void,
): DuckDBTableFunction {
  return DuckDBTableFunction.create({
    name: 'sightline_windows',
    bindFunction: (info) => {
      for (let index = 0; index < columnCount; index++) info.addResultColumn(`c${index}`, BLOB);
      info.setBindData({});
    },
    initFunction: (info) => {
      info.setInitData({});
      info.setMaxThreads(1);
    },
    mainFunction: (info, output) => {
      try {
        const next = windows.next();
        if (next.done) {
          output.rowCount = 0;
          return;
        }
        const row = next.value;
        output.rowCount = 1;
        for (let index = 0; index < columnCount; index++) {
          const vector = output.getColumnVector(index);
          vector.setItem(0, new DuckDBBlobValue(row[2 + index] as Buffer));
          vector.flush();
        }
        onRows(row[0] as number);
      } catch (error) {
        fail(error);
        output.rowCount = 0;
        info.setError(error instanceof Error ? error.message : String(error));
      }
    },
  });
}
