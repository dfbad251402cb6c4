// What the columnar engine (columnar-engine.ts) writes for each large format: the columns that
// cross from SQLite, and the DuckDB query over them. Cell rules:
// - JSON documents (answer, shown_order, payload, hidden) go into JSONL as they are and into CSV
//   and Parquet as JSON text;
// - a flattened value (answer.<question>, payload.<field>, hidden.<field>) is, as textCell() in
//   export/csv-cells.ts: strings as they are, null as empty/NULL, numbers, booleans, lists and
//   objects as JSON text; in CSV, text cells go through the formula rule (util/formula.ts);
// - times are ISO 8601 UTC with milliseconds in the text formats, UTC timestamps in Parquet.
// Question ids and field names reach DuckDB as bound JSON pointers ($1, $2, ...), never as SQL; as
// output column names they are quoted identifiers.
import type { QuestionSpec } from '../contract/types';
import { neutraliseFormulaSql } from '../util/formula';
import { type CrossingColumn, type EngineParams, quoteIdentifier } from './columnar-engine';
import { SHOWN_ORDER_SQL } from './export-rows';
import { type BatchQuerySource, raterSql } from './export-sql';

type CrossingName =
  | 'judgement_id'
  | 'assignment_id'
  | 'item_id'
  | 'item_position'
  | 'item_kind'
  | 'rater'
  | 'answer'
  | 'shown_order'
  | 'shown'
  | 'active_ms'
  | 'leased_at'
  | 'submitted_at'
  | 'payload'
  | 'hidden'
  | 'condition';

/** The columns a format reads from SQLite, by name, in its order. */
export function crossingColumns(source: BatchQuerySource, names: readonly CrossingName[]): CrossingColumn[] {
  const all: Record<CrossingName, Omit<CrossingColumn, 'name'>> = {
    judgement_id: { sql: 'j.id', kind: 'integer' },
    assignment_id: { sql: 'a.id', kind: 'integer' },
    item_id: { sql: 'i.id', kind: 'integer' },
    item_position: { sql: 'i.position', kind: 'integer' },
    item_kind: { sql: 'i.kind', kind: 'text' },
    rater: { sql: raterSql(source), kind: 'text' },
    answer: { sql: 'j.answer_json', kind: 'json' },
    shown_order: { sql: SHOWN_ORDER_SQL, kind: 'json' },
    shown: { sql: 'j.shown_json', kind: 'json' },
    active_ms: { sql: 'j.active_ms', kind: 'integer' },
    leased_at: { sql: 'a.leased_at', kind: 'integer' },
    submitted_at: { sql: 'j.submitted_at', kind: 'integer' },
    payload: { sql: 'i.payload_json', kind: 'json' },
    hidden: { sql: 'i.hidden_json', kind: 'json' },
    condition: { sql: 'i.condition', kind: 'text' },
  };
  return names.map((name) => ({ name, ...all[name] }));
}

/** A JSON pointer for one top-level key (RFC 6901: ~ and / escaped), bound as a parameter. */
const keyPointer = (params: EngineParams, key: string): string =>
  params.bind(`/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);

/** Epoch milliseconds as Date.toISOString() writes them. */
const isoTimeSql = (ms: string): string => `strftime(epoch_ms(${ms}), '%Y-%m-%dT%H:%M:%S.%gZ')`;

/** Epoch milliseconds as a UTC timestamp (the engine's session time zone is UTC). */
const utcTimestampSql = (ms: string): string => `CAST(epoch_ms(${ms}) AS TIMESTAMPTZ)`;

/** A flattened JSON value as text: strings unquoted, JSON null (or a missing key) as NULL, the rest as JSON text. */
const jsonValueTextSql = (value: string): string =>
  `CASE json_type(${value}) WHEN 'VARCHAR' THEN json_extract_string(${value}, '$') WHEN 'NULL' THEN NULL ELSE CAST(${value} AS VARCHAR) END`;

/** As jsonValueTextSql, with strings through the formula rule. */
const jsonValueCsvSql = (value: string): string =>
  `CASE json_type(${value}) WHEN 'VARCHAR' THEN ${neutraliseFormulaSql(`json_extract_string(${value}, '$')`)} WHEN 'NULL' THEN NULL ELSE CAST(${value} AS VARCHAR) END`;

const column = (sql: string, name: string): string => `${sql} AS ${quoteIdentifier(name)}`;

/** JSONL: the shape of export/jsonl.ts judgementRecord, with shown_order (and shown when asked for). */
export function jsonlQuery(source: BatchQuerySource) {
  const names: CrossingName[] = [
    'judgement_id',
    'assignment_id',
    'item_id',
    'item_position',
    'item_kind',
    'rater',
    'answer',
    'shown_order',
    ...(source.fullShown ? (['shown'] as const) : []),
    'active_ms',
    'leased_at',
    'submitted_at',
    'payload',
    'hidden',
    'condition',
  ];
  const json = new Set<CrossingName>(['answer', 'shown_order', 'shown', 'payload', 'hidden']);
  return {
    columns: crossingColumns(source, names),
    select: (params: EngineParams) =>
      [
        column(`CAST(${params.bind(source.campaign.name)} AS VARCHAR)`, 'campaign'),
        ...names.map((name) =>
          name === 'leased_at' || name === 'submitted_at'
            ? column(isoTimeSql(`r.${name}`), name)
            : json.has(name)
              ? column(`CAST(r.${name} AS JSON)`, name)
              : `r.${name}`,
        ),
      ].join(', '),
    options: 'FORMAT json',
  };
}

export interface CsvLayout {
  /** The header, formula rule applied (export/csv.ts csvHeader). */
  header: string[];
  questions: readonly QuestionSpec[];
  payloadFields: readonly string[];
  hiddenFields: readonly string[];
}

/** CSV in export/csv.ts csvHeader's column order; rows end in CRLF (RFC 4180, as Excel and MTurk write them). */
export function csvQuery(source: BatchQuerySource, layout: CsvLayout) {
  const columns = crossingColumns(source, [
    'judgement_id',
    'item_id',
    'item_position',
    'item_kind',
    'rater',
    'answer',
    'shown_order',
    'active_ms',
    'leased_at',
    'submitted_at',
    'payload',
    'hidden',
    'condition',
  ]);
  const text = (value: string) => neutraliseFormulaSql(value);
  return {
    columns,
    select: (params: EngineParams) => {
      const cells = [
        text(`CAST(${params.bind(source.campaign.name)} AS VARCHAR)`),
        'r.judgement_id',
        'r.item_id',
        'r.item_position',
        // items.kind is one of four plain words (a CHECK constraint).
        'r.item_kind',
        text('r.rater'),
        ...layout.questions.map((question) =>
          jsonValueCsvSql(`json_extract(r.answer, ${keyPointer(params, question.id)})`),
        ),
        // Our own JSON (it starts with "{"), never a formula; an unknown order (JSON null) is empty.
        `NULLIF(r.shown_order, 'null')`,
        'r.active_ms',
        isoTimeSql('r.leased_at'),
        isoTimeSql('r.submitted_at'),
        text('r.condition'),
        ...layout.payloadFields.map((field) =>
          jsonValueCsvSql(`json_extract(r.payload, ${keyPointer(params, field)})`),
        ),
        ...layout.hiddenFields.map((field) => jsonValueCsvSql(`json_extract(r.hidden, ${keyPointer(params, field)})`)),
      ];
      return cells.map((cell, index) => column(cell, layout.header[index])).join(', ');
    },
    options: "FORMAT csv, HEADER, NEW_LINE '\\r\\n'",
  };
}

/** Where a Parquet column's values come from (export/parquet.ts parquetColumns names and describes them). */
export type ParquetValue =
  | { from: 'campaign' }
  | { from: CrossingName }
  | { from: 'answer_value'; question: QuestionSpec };

export interface ParquetColumn {
  name: string;
  type: 'STRING' | 'INT32' | 'TIMESTAMP';
  value: ParquetValue;
}

/** Parquet: Snappy-compressed, dictionary-encoded where values repeat (DuckDB decides per column chunk). */
export function parquetQuery(
  source: BatchQuerySource,
  outputColumns: readonly ParquetColumn[],
  rowGroupRows: number,
  kvMetadata: Record<string, string>,
) {
  const crossing = new Set<CrossingName>();
  for (const output of outputColumns) {
    if (output.value.from === 'answer_value') crossing.add('answer');
    else if (output.value.from !== 'campaign') crossing.add(output.value.from);
  }
  const columns = crossingColumns(source, [...crossing]);
  const cell = (output: ParquetColumn, params: EngineParams): string => {
    const { value } = output;
    if (value.from === 'campaign') return `CAST(${params.bind(source.campaign.name)} AS VARCHAR)`;
    if (value.from === 'answer_value') {
      const extracted = `json_extract(r.answer, ${keyPointer(params, value.question.id)})`;
      return value.question.type === 'scale'
        ? `TRY_CAST(json_extract_string(${extracted}, '$') AS INTEGER)`
        : jsonValueTextSql(extracted);
    }
    if (output.type === 'TIMESTAMP') return utcTimestampSql(`r.${value.from}`);
    if (output.type === 'INT32') return `CAST(r.${value.from} AS INTEGER)`;
    return `r.${value.from}`;
  };
  // KV_METADATA takes literals only: keys are ours, values are quoted with quotes doubled.
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const metadata = Object.entries(kvMetadata)
    .map(([key, value]) => `${literal(key)}: ${literal(value)}`)
    .join(', ');
  return {
    columns,
    select: (params: EngineParams) =>
      outputColumns.map((output) => column(cell(output, params), output.name)).join(', '),
    options: `FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${Math.trunc(rowGroupRows)}${metadata ? `, KV_METADATA {${metadata}}` : ''}`,
  };
}
