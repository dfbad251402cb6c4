// Parquet through hyparquet-writer's incremental ParquetWriter: rows are gathered into column
// arrays of ROW_GROUP_ROWS, each batch is encoded as one row group and flushed to disk, and the
// arrays are dropped, so memory holds one row group whatever the campaign's size. SQLite hands
// over each batch column-wise (sql-rows.ts): numbers and short strings as one JSON array per
// column, the JSON documents as one UTF-8 buffer joined with U+001E (a control character, which
// valid JSON text never holds unescaped), so JavaScript does a split or a JSON.parse per column,
// not work per row.
import { ByteWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import type { AtomicFile } from './atomic-output';
import type { ProgressMeter } from './progress';
import { SHOWN_ORDER_SQL, type ExportSource } from './source';
import { batches, parquetAnswerSql, PathParams, raterSql } from './sql-rows';

export const ROW_GROUP_ROWS = 50_000;

type ColumnType = 'STRING' | 'INT32' | 'TIMESTAMP';
interface ColumnSpec {
  name: string;
  type: ColumnType;
  description: string;
  /**
   * JSON documents that are nearly all distinct: written PLAIN without min/max statistics. The
   * writer's dictionary trial and string statistics cost a third of the export time on these and
   * buy nothing (a reader never filters on the bytes of a JSON document).
   */
  bulky?: boolean;
  /** The per-row SQL value; `documents` columns are JSON text passed through as stored. */
  sql: string;
  transfer: 'constant' | 'array' | 'documents';
}

/** The Parquet (and Hugging Face) columns. JSON-valued columns are UTF-8 strings holding JSON. */
export function parquetColumns(source: ExportSource, params = new PathParams()): ColumnSpec[] {
  const column = (name: string, type: ColumnType, description: string, sql: string, transfer: ColumnSpec['transfer'] = 'array'): ColumnSpec => ({
    name,
    type,
    description,
    sql,
    transfer,
    ...(transfer === 'documents' ? { bulky: true } : {}),
  });
  return [
    column('campaign', 'STRING', 'campaign name', 'NULL', 'constant'),
    column('judgement_id', 'INT32', 'judgement id (unique within the project)', 'j.id'),
    column('item_id', 'INT32', 'item id', 'i.id'),
    column('item_position', 'INT32', "item's position in the campaign", 'i.position'),
    column('item_kind', 'STRING', 'normal, gold, attention or qualification', 'i.kind'),
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
    column('shown_order', 'STRING', 'JSON: per choice question, option values in the order this rater saw them', SHOWN_ORDER_SQL, 'documents'),
    ...(source.fullShown ? [column('shown', 'STRING', 'JSON: the questions exactly as shown to this rater', 'j.shown_json', 'documents')] : []),
    column('active_ms', 'INT32', "active time on the rater's screen, ms", 'j.active_ms'),
    column('leased_at', 'TIMESTAMP', 'when the item was handed to the rater (UTC)', 'a.leased_at'),
    column('submitted_at', 'TIMESTAMP', 'when the judgement was submitted (UTC)', 'j.submitted_at'),
    column('payload', 'STRING', 'JSON: what the rater was shown (item payload)', 'i.payload_json', 'documents'),
    column('hidden', 'STRING', 'JSON: hidden condition (k, layer, gold answer...), never shown to raters', 'i.hidden_json', 'documents'),
    column('condition', 'STRING', 'condition label', 'i.condition'),
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

const SEPARATOR = 0x1e;

/**
 * The documents of one batch as UTF-8 byte views into SQLite's buffer: hyparquet-writer writes
 * Uint8Array values as they are, so no JavaScript string is made and nothing is re-encoded.
 */
function splitDocuments(buffer: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const end = buffer.indexOf(SEPARATOR, start);
    if (end < 0) {
      out.push(buffer.subarray(start));
      return out;
    }
    out.push(buffer.subarray(start, end));
    start = end + 1;
  }
}

export async function writeParquet(source: ExportSource, file: AtomicFile, meter: ProgressMeter, kvMetadata: Record<string, string> = {}): Promise<void> {
  const params = new PathParams();
  const columns = parquetColumns(source, params);
  const empty = () => columns.map(() => [] as unknown[]);
  let data = empty();
  const columnSources = (): ColumnSource[] =>
    columns.map((column, index) => ({
      name: column.name,
      type: column.type,
      data: data[index] as never,
      nullable: true,
      ...(column.bulky ? { encoding: 'PLAIN' as const, statistics: false } : {}),
    }));
  const writer = new ParquetWriter({
    writer: new AtomicFileWriter(file),
    schema: schemaFromColumnData({ columnData: columnSources() }),
    createdBy: 'Sightline (hyparquet-writer)',
    kvMetadata: Object.entries(kvMetadata).map(([key, value]) => ({ key, value })),
  });
  const flush = () => {
    if (data[0].length === 0) return;
    writer.write({ columnData: columnSources(), rowGroupSize: ROW_GROUP_ROWS });
    data = empty();
  };
  const inner = columns.map((column, index) => `${column.sql} AS c${index}`).join(', ');
  const outer = columns
    .map((column, index) =>
      column.transfer === 'documents'
        ? `CAST(group_concat(COALESCE(c${index}, 'null'), char(30)) AS BLOB)`
        : column.transfer === 'array'
          ? `json_group_array(c${index})`
          : 'NULL',
    )
    .join(', ');
  const campaign = source.campaign.name;
  const idColumn = columns.findIndex((column) => column.name === 'judgement_id');
  let lastId = 0;
  // Row groups are whole batches: BATCH_ROWS divides ROW_GROUP_ROWS closely enough.
  for (const row of batches(source.db, source.campaign.id, inner, outer, params.values)) {
    const rows = row[0] as number;
    const start = data[idColumn].length;
    columns.forEach((column, index) => {
      const cell = row[index + 2];
      const values: unknown[] =
        column.transfer === 'constant' ? new Array<string>(rows).fill(campaign) : column.transfer === 'documents' ? splitDocuments(cell as Buffer) : (JSON.parse(cell as string) as unknown[]);
      if (values.length !== rows) throw new Error(`parquet export: column ${column.name} has ${values.length} values for ${rows} rows`);
      const target = data[index];
      for (let k = 0; k < values.length; k++) target.push(values[k]);
    });
    // The aggregates follow the inner query's judgement order (see sql-rows.ts batches); check it.
    const ids = data[idColumn] as number[];
    for (let k = start; k < ids.length; k++) {
      if (ids[k] <= lastId) throw new Error(`parquet export: judgement ${ids[k]} arrived after ${lastId}; rows out of order`);
      lastId = ids[k];
    }
    if (data[0].length >= ROW_GROUP_ROWS) flush();
    await meter.advance(rows);
  }
  flush();
  writer.finish();
}
