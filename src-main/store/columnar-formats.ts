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
import { type CrossingColumn, type EngineParams, jsonStringTextSql, quoteIdentifier } from './columnar-engine';
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

/**
 * One top-level key of a JSON document, as JSON text. SQLite extracts it (its JSON parse is cached
 * per document, so the fields of one payload cost one parse) through a bound path, `$."key"`;
 * SQLite's path syntax has no escape for a quote or backslash inside a key, so such a key is
 * extracted by DuckDB from the whole document instead (a JSON pointer, any key).
 */
interface FlattenedValue {
  doc: 'answer' | 'payload' | 'hidden';
  key: string;
}

const SQLITE_DOCS: Record<FlattenedValue['doc'], string> = {
  answer: 'j.answer_json',
  payload: 'i.payload_json',
  hidden: 'i.hidden_json',
};

class Flattener {
  readonly sqliteParams: Record<string, string> = {};
  readonly columns: CrossingColumn[] = [];
  /** Documents the DuckDB-side extraction needs. */
  readonly docs = new Set<FlattenedValue['doc']>();
  private readonly refs: ({ column: string } | FlattenedValue)[] = [];

  /** Registers a value; returns its index for `text`. */
  add(value: FlattenedValue): number {
    if (/["\\]/.test(value.key)) {
      this.docs.add(value.doc);
      this.refs.push(value);
    } else {
      const param = `p${this.columns.length}`;
      this.sqliteParams[param] = `$."${value.key}"`;
      const name = `v${this.columns.length}`;
      this.columns.push({ name, sql: `${SQLITE_DOCS[value.doc]} -> @${param}`, kind: 'json' });
      this.refs.push({ column: name });
    }
    return this.refs.length - 1;
  }

  /** The value's JSON text over the relation r (NULL or 'null' when the key is missing or null). */
  json(index: number, params: EngineParams): string {
    const ref = this.refs[index];
    return 'column' in ref
      ? `r.${ref.column}`
      : `CAST(json_extract(r.${ref.doc}, ${keyPointer(params, ref.key)}) AS VARCHAR)`;
  }
}

/** Epoch milliseconds as Date.toISOString() writes them. */
const isoTimeSql = (ms: string): string => `strftime(epoch_ms(${ms}), '%Y-%m-%dT%H:%M:%S.%gZ')`;

/** Epoch milliseconds as a UTC timestamp (the engine's session time zone is UTC). */
const utcTimestampSql = (ms: string): string => `CAST(epoch_ms(${ms}) AS TIMESTAMPTZ)`;

/**
 * A flattened value from its JSON text: strings unquoted (through `text`, e.g. the formula rule),
 * JSON null or a missing key as NULL, numbers, booleans, lists and objects as their JSON text.
 */
const jsonValueTextSql = (json: string, text: (value: string) => string = (value) => value): string =>
  `CASE WHEN ${json} IS NULL OR ${json} = 'null' THEN NULL WHEN starts_with(${json}, '"') THEN ${text(jsonStringTextSql(json))} ELSE ${json} END`;

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
  /**
   * The header line without its line break, as the CSV writer in JavaScript writes it (formula
   * rule applied, quoted where needed): written as the file's prefix, so the names are exactly the
   * questions' and fields' (DuckDB's own header would rename "payload.name" after "payload.Name").
   */
  headerLine: string;
  questions: readonly QuestionSpec[];
  payloadFields: readonly string[];
  hiddenFields: readonly string[];
}

/** A string literal for COPY's options, which take no parameters: quotes doubled. */
const optionLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * CSV in export/csv.ts csvHeader's column order; rows end in CRLF (RFC 4180, as Excel and MTurk
 * write them). With PREFIX and SUFFIX the writer puts line breaks between rows and the suffix
 * after the last one, so a file with no rows is the header and an empty line (see export/csv.ts).
 */
export function csvQuery(source: BatchQuerySource, layout: CsvLayout) {
  const flattener = new Flattener();
  const answers = layout.questions.map((question) => flattener.add({ doc: 'answer', key: question.id }));
  const fields = [
    ...layout.payloadFields.map((key) => flattener.add({ doc: 'payload', key })),
    ...layout.hiddenFields.map((key) => flattener.add({ doc: 'hidden', key })),
  ];
  const columns = [
    ...crossingColumns(source, [
      'judgement_id',
      'item_id',
      'item_position',
      'item_kind',
      'rater',
      'shown_order',
      'active_ms',
      'leased_at',
      'submitted_at',
      'condition',
      ...flattener.docs,
    ]),
    ...flattener.columns,
  ];
  const text = (value: string) => neutraliseFormulaSql(value);
  const cell = (index: number, params: EngineParams) => jsonValueTextSql(flattener.json(index, params), text);
  return {
    columns,
    sqliteParams: flattener.sqliteParams,
    select: (params: EngineParams) => {
      const cells = [
        text(`CAST(${params.bind(source.campaign.name)} AS VARCHAR)`),
        'r.judgement_id',
        'r.item_id',
        'r.item_position',
        // items.kind is one of four plain words (a CHECK constraint).
        'r.item_kind',
        text('r.rater'),
        ...answers.map((index) => cell(index, params)),
        // Our own JSON (it starts with "{"), never a formula; an unknown order (JSON null) is empty.
        `NULLIF(r.shown_order, 'null')`,
        'r.active_ms',
        isoTimeSql('r.leased_at'),
        isoTimeSql('r.submitted_at'),
        text('r.condition'),
        ...fields.map((index) => cell(index, params)),
      ];
      return cells.map((value, index) => `${value} AS c${index}`).join(', ');
    },
    options: `FORMAT csv, HEADER false, NEW_LINE '\\r\\n', PREFIX ${optionLiteral(`${layout.headerLine}\r\n`)}, SUFFIX '\r\n'`,
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
  const flattener = new Flattener();
  const answers = new Map<ParquetColumn, number>();
  for (const output of outputColumns) {
    if (output.value.from === 'answer_value')
      answers.set(output, flattener.add({ doc: 'answer', key: output.value.question.id }));
    else if (output.value.from !== 'campaign') crossing.add(output.value.from);
  }
  const columns = [
    ...crossingColumns(source, [...crossing, ...[...flattener.docs].filter((doc) => !crossing.has(doc))]),
    ...flattener.columns,
  ];
  const cell = (output: ParquetColumn, params: EngineParams): string => {
    const { value } = output;
    if (value.from === 'campaign') return `CAST(${params.bind(source.campaign.name)} AS VARCHAR)`;
    if (value.from === 'answer_value') {
      const text = jsonValueTextSql(flattener.json(answers.get(output) as number, params));
      return value.question.type === 'scale' ? `TRY_CAST(${text} AS INTEGER)` : text;
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
    sqliteParams: flattener.sqliteParams,
    threads: 2,
    select: (params: EngineParams) =>
      outputColumns.map((output) => column(cell(output, params), output.name)).join(', '),
    options: `FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${Math.trunc(rowGroupRows)}${metadata ? `, KV_METADATA {${metadata}}` : ''}`,
  };
}
