// Parquet through the columnar engine's Parquet writer (store/columnar-formats.ts parquetQuery,
// issue 12): Snappy-compressed, dictionary-encoded where values repeat (payloads shared by an
// item's raters, the few answers of a choice question), one row group per ROW_GROUP_ROWS
// judgements, so memory holds about one row group whatever the campaign's size. Times are UTC
// timestamps in microseconds (Arrow: timestamp[us, tz=UTC]); see hf-card.ts for the dtypes.
import { type ParquetColumn, parquetQuery } from '../store/columnar-formats';
import type { AtomicFile } from './atomic-output';
import { writeWithEngine } from './engine-output';
import type { ProgressMeter } from './progress';
import type { ExportSource } from './source';

export const ROW_GROUP_ROWS = 32_768;

interface DescribedColumn extends ParquetColumn {
  description: string;
}

/** The Parquet (and Hugging Face) columns. JSON-valued columns are UTF-8 strings holding JSON. */
export function parquetColumns(source: ExportSource): DescribedColumn[] {
  const column = (
    name: string,
    type: ParquetColumn['type'],
    description: string,
    value: ParquetColumn['value'],
  ): DescribedColumn => ({ name, type, description, value });
  return [
    column('campaign', 'STRING', 'campaign name', { from: 'campaign' }),
    column('judgement_id', 'INT32', 'judgement id (unique within the project)', { from: 'judgement_id' }),
    column('item_id', 'INT32', 'item id', { from: 'item_id' }),
    column('item_position', 'INT32', "item's position in the campaign", { from: 'item_position' }),
    column('item_kind', 'STRING', 'normal, gold, attention or qualification', { from: 'item_kind' }),
    column('rater', 'STRING', source.revealRaters ? "rater's name" : 'rater pseudonym (R001, ...)', { from: 'rater' }),
    ...source.questions.map((question) =>
      column(
        `answer_${question.id}`,
        question.type === 'scale' ? 'INT32' : 'STRING',
        `answer to "${question.prompt}" (${question.type}${question.type === 'scale' ? ` ${question.min}-${question.max}` : question.type === 'multi' ? ', JSON list' : ''})`,
        { from: 'answer_value', question },
      ),
    ),
    column('answer', 'STRING', 'the whole answer as JSON', { from: 'answer' }),
    column(
      'shown_order',
      'STRING',
      'JSON: per choice question, option values in the order this rater saw them; null where an imported file did not record it',
      { from: 'shown_order' },
    ),
    ...(source.fullShown
      ? [column('shown', 'STRING', 'JSON: the questions exactly as shown to this rater', { from: 'shown' })]
      : []),
    column('active_ms', 'INT32', "active time on the rater's screen, ms", { from: 'active_ms' }),
    column('leased_at', 'TIMESTAMP', 'when the item was handed to the rater (UTC)', { from: 'leased_at' }),
    column('submitted_at', 'TIMESTAMP', 'when the judgement was submitted (UTC)', { from: 'submitted_at' }),
    column('payload', 'STRING', 'JSON: what the rater was shown (item payload)', { from: 'payload' }),
    column('hidden', 'STRING', 'JSON: hidden condition (k, layer, gold answer...), never shown to raters', {
      from: 'hidden',
    }),
    column('condition', 'STRING', 'condition label', { from: 'condition' }),
  ];
}

export function writeParquet(
  source: ExportSource,
  file: AtomicFile,
  meter: ProgressMeter,
  kvMetadata: Record<string, string> = {},
): Promise<void> {
  return writeWithEngine(parquetQuery(source, parquetColumns(source), ROW_GROUP_ROWS, kvMetadata), source, file, meter);
}
