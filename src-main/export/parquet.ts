// Parquet through hyparquet-writer's incremental ParquetWriter: rows are gathered into column
// arrays of ROW_GROUP_ROWS, each batch is encoded as one row group and flushed to disk, and the
// arrays are dropped, so memory holds one row group whatever the campaign's size. SQLite hands
// over each batch column-wise (batchSql): numbers and short strings as one JSON array per column,
// the JSON documents as one UTF-8 buffer joined with U+001E (a control character, which valid JSON
// text never holds unescaped), so JavaScript does a split or a JSON.parse per column, not work per
// row. Item columns (payload, hidden, kind, ...) come once per item of the batch, not once per
// rater, and repeated documents are handed to the writer as one object each (DocumentInterner),
// so its dictionary encoding finds them by identity (issue 5: 108k -> ~135k rows/s on a million
// judgements, peak RSS 430 -> ~290 MiB, file 47 -> 21 MB).
import { ByteWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import type { AtomicFile } from './atomic-output';
import type { ProgressMeter } from './progress';
import { snappyCompress } from './snappy';
import { LIVE_FROM, SHOWN_ORDER_SQL } from '../store/export-rows';
import { parquetAnswerSql, PathParams, raterSql, WINDOW_SQL, windowRows } from '../store/export-sql';
import type { ExportSource } from './source';

export const ROW_GROUP_ROWS = 32_768;

type ColumnType = 'STRING' | 'INT32' | 'TIMESTAMP';
interface ColumnSpec {
  name: string;
  type: ColumnType;
  description: string;
  /** The per-row SQL value; `documents` columns are JSON text passed through as stored. */
  sql: string;
  transfer: 'constant' | 'array' | 'documents';
  /** Item columns are read once per item in a batch and repeated for each of its judgements. */
  level: 'judgement' | 'item';
}

/** The Parquet (and Hugging Face) columns. JSON-valued columns are UTF-8 strings holding JSON. */
export function parquetColumns(source: ExportSource, params = new PathParams()): ColumnSpec[] {
  const column = (
    name: string,
    type: ColumnType,
    description: string,
    sql: string,
    transfer: ColumnSpec['transfer'] = 'array',
    level: ColumnSpec['level'] = 'judgement',
  ): ColumnSpec => ({ name, type, description, sql, transfer, level });
  return [
    column('campaign', 'STRING', 'campaign name', 'NULL', 'constant'),
    column('judgement_id', 'INT32', 'judgement id (unique within the project)', 'j.id'),
    column('item_id', 'INT32', 'item id', 'i.id'),
    column('item_position', 'INT32', "item's position in the campaign", 'i.position', 'array', 'item'),
    column('item_kind', 'STRING', 'normal, gold, attention or qualification', 'i.kind', 'array', 'item'),
    column('rater', 'STRING', source.revealRaters ? "rater's name" : 'rater pseudonym (R001, ...)', raterSql(source)),
    ...source.questions.map((question) =>
      column(
        `answer_${question.id}`,
        question.type === 'scale' ? 'INT32' : 'STRING',
        `answer to "${question.prompt}" (${question.type}${question.type === 'scale' ? ` ${question.min}-${question.max}` : question.type === 'multi' ? ', JSON list' : ''})`,
        parquetAnswerSql(question, params),
      ),
    ),
    column('answer', 'STRING', 'the whole answer as JSON', 'j.answer_json', 'documents'),
    column(
      'shown_order',
      'STRING',
      'JSON: per choice question, option values in the order this rater saw them; null where an imported file did not record it',
      SHOWN_ORDER_SQL,
      'documents',
    ),
    ...(source.fullShown
      ? [column('shown', 'STRING', 'JSON: the questions exactly as shown to this rater', 'j.shown_json', 'documents')]
      : []),
    column('active_ms', 'INT32', "active time on the rater's screen, ms", 'j.active_ms'),
    column('leased_at', 'TIMESTAMP', 'when the item was handed to the rater (UTC)', 'a.leased_at'),
    column('submitted_at', 'TIMESTAMP', 'when the judgement was submitted (UTC)', 'j.submitted_at'),
    column('payload', 'STRING', 'JSON: what the rater was shown (item payload)', 'i.payload_json', 'documents', 'item'),
    column(
      'hidden',
      'STRING',
      'JSON: hidden condition (k, layer, gold answer...), never shown to raters',
      'i.hidden_json',
      'documents',
      'item',
    ),
    column('condition', 'STRING', 'condition label', 'i.condition', 'array', 'item'),
  ];
}

/** A hyparquet Writer that streams its bytes into an AtomicFile every megabyte instead of growing one buffer. */
class AtomicFileWriter extends ByteWriter {
  constructor(private readonly file: AtomicFile) {
    super(1 << 21);
  }

  override ensure(size: number): void {
    if (this.index > 1 << 20) this.drain();
    super.ensure(size);
  }

  private drain(): void {
    this.file.writeBytes(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }

  override finish(): void {
    this.drain();
  }
}

const SEPARATOR = '\x1e';

/**
 * Documents as UTF-8 byte views into SQLite's buffer (hyparquet-writer writes Uint8Array values as
 * they are, nothing is re-encoded), one view per distinct document in a row group: the writer's
 * dictionary then finds repeats (a payload for each of an item's raters, the few answers of a
 * choice question) by identity instead of hashing every copy byte by byte. Keys are the latin1
 * reading of the bytes, so string offsets are byte offsets and Map's native hashing does the work.
 */
class DocumentInterner {
  private views = new Map<string, Uint8Array>();

  split(buffer: Buffer): Uint8Array[] {
    const text = buffer.toString('latin1');
    const out: Uint8Array[] = [];
    for (let start = 0; ; ) {
      const found = text.indexOf(SEPARATOR, start);
      const end = found < 0 ? text.length : found;
      const key = text.slice(start, end);
      let view = this.views.get(key);
      if (view === undefined) {
        view = buffer.subarray(start, end);
        this.views.set(key, view);
      }
      out.push(view);
      if (found < 0) return out;
      start = end + 1;
    }
  }

  /** At each row group: the next one builds its own dictionary, and memory stays one row group's. */
  clear(): void {
    this.views = new Map();
  }
}

/** The SQL that returns one batch: judgement columns over `b`, item columns once per item over `v`. */
function batchSql(columns: ColumnSpec[]): string {
  const values = (level: ColumnSpec['level']) =>
    columns
      .map((column, index) =>
        column.level === level && column.transfer !== 'constant' ? `, ${column.sql} AS c${index}` : '',
      )
      .join('');
  const aggregates = (level: ColumnSpec['level']) =>
    columns
      .map((column, index) =>
        column.level !== level || column.transfer === 'constant'
          ? ', NULL'
          : column.transfer === 'documents'
            ? `, CAST(group_concat(COALESCE(c${index}, 'null'), char(30)) AS BLOB)`
            : `, json_group_array(c${index})`,
      )
      .join('');
  // b is materialised in judgement order and v holds each of the batch's items once; each side is
  // aggregated in one scan, so its columns line up with each other (and v's with its item ids).
  return `WITH b AS MATERIALIZED (SELECT j.id AS jid, i.id AS item${values('judgement')} ${LIVE_FROM} ${WINDOW_SQL}),
               v AS MATERIALIZED (SELECT i.id AS item${values('item')} FROM items i WHERE i.id IN (SELECT item FROM b))
          SELECT * FROM (SELECT COUNT(*), MAX(jid), json_group_array(item)${aggregates('judgement')} FROM b)
          CROSS JOIN (SELECT json_group_array(item)${aggregates('item')} FROM v)`;
}

export async function writeParquet(
  source: ExportSource,
  file: AtomicFile,
  meter: ProgressMeter,
  kvMetadata: Record<string, string> = {},
): Promise<void> {
  const params = new PathParams();
  const columns = parquetColumns(source, params);
  // Each column's value arrays, one per batch, joined into one array per row group at flush.
  let chunks = columns.map(() => [] as unknown[][]);
  let groupRows = 0;
  let data: unknown[][] = columns.map(() => []);
  const columnSources = (): ColumnSource[] =>
    columns.map((column, index) => ({
      name: column.name,
      type: column.type,
      data: data[index] as never,
      nullable: true,
      // A reader never filters on the bytes of a JSON document: no min/max statistics for them.
      ...(column.transfer === 'documents' ? { statistics: false } : {}),
    }));
  const writer = new ParquetWriter({
    writer: new AtomicFileWriter(file),
    schema: schemaFromColumnData({ columnData: columnSources() }),
    createdBy: 'Sightline (hyparquet-writer)',
    compressors: { SNAPPY: snappyCompress },
    kvMetadata: Object.entries(kvMetadata).map(([key, value]) => ({ key, value })),
  });
  const interner = new DocumentInterner();
  const flush = () => {
    if (groupRows === 0) return;
    data = chunks.map((batches) => (batches.length === 1 ? batches[0] : ([] as unknown[]).concat(...batches)));
    writer.write({ columnData: columnSources(), rowGroupSize: ROW_GROUP_ROWS });
    chunks = columns.map(() => []);
    data = [];
    groupRows = 0;
    interner.clear();
  };
  const campaign = source.campaign.name;
  const idColumn = columns.findIndex((column) => column.name === 'judgement_id');
  // Aggregate columns: count, last id, row items, judgement columns, item ids, item columns.
  const itemIdsAt = 3 + columns.length;
  let lastId = 0;
  // Row groups are whole batches: BATCH_ROWS divides ROW_GROUP_ROWS closely enough.
  for (const row of windowRows(source, batchSql(columns), params.values, 'delegate')) {
    const rows = row[0] as number;
    const itemIds = JSON.parse(row[itemIdsAt] as string) as number[];
    const itemIndex = new Map<number, number>();
    for (let k = 0; k < itemIds.length; k++) itemIndex.set(itemIds[k], k);
    const rowItem = (JSON.parse(row[2] as string) as number[]).map((id) => itemIndex.get(id) as number);
    columns.forEach((column, index) => {
      const perItem = column.level === 'item' && column.transfer !== 'constant';
      const cell = row[perItem ? itemIdsAt + 1 + index : 3 + index];
      const values: unknown[] =
        column.transfer === 'constant'
          ? new Array<string>(rows).fill(campaign)
          : column.transfer === 'documents'
            ? interner.split(cell as Buffer)
            : (JSON.parse(cell as string) as unknown[]);
      const expected = perItem ? itemIds.length : rows;
      if (values.length !== expected)
        throw new Error(
          `parquet export: column ${column.name} has ${values.length} values for ${expected} ${column.level}s`,
        );
      // An item's value (the same object, for documents) for each of its judgements: the writer's
      // dictionary then finds repeats by identity instead of hashing each copy.
      chunks[index].push(perItem ? rowItem.map((k) => values[k]) : values);
    });
    // The aggregates follow b's judgement order (see store/export-sql.ts batches); check it.
    const ids = chunks[idColumn].at(-1) as number[];
    for (const id of ids) {
      if (id <= lastId) throw new Error(`parquet export: judgement ${id} arrived after ${lastId}; rows out of order`);
      lastId = id;
    }
    groupRows += rows;
    if (groupRows >= ROW_GROUP_ROWS) flush();
    await meter.advance(rows);
  }
  flush();
  writer.finish();
}
