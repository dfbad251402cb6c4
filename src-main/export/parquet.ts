// Parquet through hyparquet-writer's incremental ParquetWriter: rows are gathered into column
// arrays of ROW_GROUP_ROWS, each batch is encoded as one row group and flushed to disk, and the
// arrays are dropped, so memory holds one row group whatever the campaign's size.
import { ByteWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { parseJson } from '../store/db';
import type { AtomicFile } from './atomic-output';
import type { ProgressMeter } from './progress';
import { iterateExportRowsRaw, R, shownOrder, type ExportSource, type ShownJson } from './source';

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
}

/** The Parquet (and Hugging Face) columns. JSON-valued columns are UTF-8 strings holding JSON. */
export function parquetColumns(source: ExportSource): ColumnSpec[] {
  return [
    { name: 'campaign', type: 'STRING', description: 'campaign name' },
    { name: 'judgement_id', type: 'INT32', description: 'judgement id (unique within the project)' },
    { name: 'item_id', type: 'INT32', description: 'item id' },
    { name: 'item_position', type: 'INT32', description: "item's position in the campaign" },
    { name: 'item_kind', type: 'STRING', description: 'normal, gold, attention or qualification' },
    { name: 'rater', type: 'STRING', description: source.revealRaters ? "rater's name" : 'rater pseudonym (R001, ...)' },
    ...source.questions.map(
      (question): ColumnSpec => ({
        name: `answer_${question.id}`,
        type: question.type === 'scale' ? 'INT32' : 'STRING',
        description: `answer to "${question.prompt}" (${question.type}${question.type === 'scale' ? ` ${question.min}-${question.max}` : question.type === 'multi' ? ', JSON list' : ''})`,
      }),
    ),
    { name: 'answer', type: 'STRING', description: 'the whole answer as JSON', bulky: true },
    { name: 'shown_order', type: 'STRING', description: 'JSON: per choice question, option values in the order this rater saw them', bulky: true },
    { name: 'shown', type: 'STRING', description: 'JSON: the questions exactly as shown to this rater', bulky: true },
    { name: 'active_ms', type: 'INT32', description: "active time on the rater's screen, ms" },
    { name: 'leased_at', type: 'TIMESTAMP', description: 'when the item was handed to the rater (UTC)' },
    { name: 'submitted_at', type: 'TIMESTAMP', description: 'when the judgement was submitted (UTC)' },
    { name: 'payload', type: 'STRING', description: 'JSON: what the rater was shown (item payload)', bulky: true },
    { name: 'hidden', type: 'STRING', description: 'JSON: hidden condition (k, layer, gold answer...), never shown to raters', bulky: true },
    { name: 'condition', type: 'STRING', description: 'condition label' },
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

export function writeParquet(source: ExportSource, file: AtomicFile, meter: ProgressMeter, kvMetadata: Record<string, string> = {}): void {
  const columns = parquetColumns(source);
  const questions = source.questions;
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
  const campaign = source.campaign.name;
  const raterColumn = source.revealRaters ? R.raterName : R.raterPseudonym;
  for (const row of iterateExportRowsRaw(source.db, source.campaign.id)) {
    const judgementId = row[R.judgementId] as number;
    const answerJson = row[R.answerJson] as string;
    const shownJson = row[R.shownJson] as string;
    const answer = parseJson<Record<string, unknown>>(answerJson, `judgements.answer_json (judgement ${judgementId})`) ?? {};
    const shown = parseJson<ShownJson>(shownJson, `judgements.shown_json (judgement ${judgementId})`);
    let c = 0;
    data[c++].push(campaign);
    data[c++].push(judgementId);
    data[c++].push(row[R.itemId]);
    data[c++].push(row[R.itemPosition]);
    data[c++].push(row[R.itemKind]);
    data[c++].push(row[raterColumn]);
    for (const question of questions) {
      const value = answer[question.id];
      data[c++].push(value === undefined || value === null ? null : question.type === 'scale' ? Number(value) : typeof value === 'string' ? value : JSON.stringify(value));
    }
    data[c++].push(answerJson);
    data[c++].push(JSON.stringify(shownOrder(shown)));
    data[c++].push(shownJson);
    data[c++].push(row[R.activeMs]);
    data[c++].push(row[R.leasedAt]);
    data[c++].push(row[R.submittedAt]);
    data[c++].push(row[R.payloadJson]);
    data[c++].push(row[R.hiddenJson]);
    data[c++].push(row[R.condition]);
    meter.tick();
    if (data[0].length >= ROW_GROUP_ROWS) flush();
  }
  flush();
  writer.finish();
}
