// Judgement records as our JSONL, Parquet and Hugging Face exports write them (jsonl.ts
// judgementRecord, parquet.ts parquetColumns): one object per judgement with the item repeated on
// each. Shared by those dialects; each checks its own container (lines, row groups) first.
import { badFile } from '../../util/errors';
import {
  isItemKind,
  isoMs,
  isPlainObject,
  wholeMs,
  type FieldNames,
  type ItemCollector,
  type ResultRow,
} from './table';

export const RECORD_NAMES: FieldNames = {
  answer: (id) => `answer.${id}`,
  shownOrder: 'shown_order',
  payloadPrefix: 'payload.',
  rater: 'rater',
  item: 'item',
  raterField: 'rater',
};

/** Keys in first-seen order over many objects. */
export class KeyOrder {
  private readonly keys = new Set<string>();
  add(object: Record<string, unknown>): void {
    for (const key of Object.keys(object)) this.keys.add(key);
  }
  get list(): string[] {
    return [...this.keys];
  }
}

export interface RecordContext {
  file: string;
  items: ItemCollector;
  answerKeys: KeyOrder;
  payloadFields: KeyOrder;
}

/** A time as a record holds it: ISO text (JSONL) or a Date (Parquet TIMESTAMP). */
function timeMs(file: string, field: string, value: unknown): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw badFile(file, field, 'a valid time', 'an invalid one');
    return ms;
  }
  return isoMs(file, field, value);
}

/** One judgement record to a normalised row (and its item into the collector); bad_file naming `at` and the field. */
export function recordRow(
  context: RecordContext,
  at: string,
  record: Record<string, unknown>,
  source: Record<string, unknown>,
): ResultRow {
  const { file } = context;
  const field = (name: string) => `${at}: ${name}`;
  const { item_id: itemId, rater, answer } = record;
  if (!(typeof itemId === 'number' && Number.isSafeInteger(itemId)) && !(typeof itemId === 'string' && itemId !== ''))
    throw badFile(file, field('item_id'), "the item's id (a number or text)", JSON.stringify(itemId));
  if (typeof rater !== 'string' || rater === '')
    throw badFile(file, field('rater'), "the rater's pseudonym or name (text)", JSON.stringify(rater));
  if (!isPlainObject(answer))
    throw badFile(file, field('answer'), 'an object of answers by question id', JSON.stringify(answer)?.slice(0, 80));
  const payload = record.payload ?? {};
  if (!isPlainObject(payload))
    throw badFile(file, field('payload'), "an object (the item's payload)", JSON.stringify(payload).slice(0, 80));
  const hidden = record.hidden ?? {};
  if (!isPlainObject(hidden))
    throw badFile(file, field('hidden'), 'an object (hidden fields)', JSON.stringify(hidden).slice(0, 80));
  const condition = record.condition ?? null;
  if (condition !== null && typeof condition !== 'string')
    throw badFile(file, field('condition'), 'text or null', JSON.stringify(condition).slice(0, 80));
  const kind = record.item_kind ?? 'normal';
  if (!isItemKind(kind))
    throw badFile(
      file,
      field('item_kind'),
      'normal, gold, attention or qualification',
      JSON.stringify(kind).slice(0, 80),
    );
  const position = record.item_position ?? null;
  if (position !== null && !(typeof position === 'number' && Number.isSafeInteger(position) && position >= 0))
    throw badFile(file, field('item_position'), 'a whole number, at least 0', JSON.stringify(position));
  const submittedAt =
    record.submitted_at === undefined || record.submitted_at === null
      ? null
      : timeMs(file, field('submitted_at'), record.submitted_at);
  const leasedAt =
    record.leased_at === undefined || record.leased_at === null
      ? null
      : timeMs(file, field('leased_at'), record.leased_at);
  const activeMs =
    record.active_ms === undefined || record.active_ms === null
      ? 0
      : wholeMs(file, field('active_ms'), record.active_ms);
  const key = String(itemId);
  context.items.add(key, at, { payload, hidden, condition, kind }, position);
  context.answerKeys.add(answer);
  context.payloadFields.add(payload);
  return {
    at,
    itemKey: key,
    rater,
    answers: answer,
    shownOrder: record.shown_order,
    submittedAt: submittedAt ?? leasedAt ?? 0,
    leasedAt: leasedAt ?? submittedAt ?? 0,
    activeMs,
    source: { ...source, ...(record.judgement_id !== undefined ? { judgement_id: record.judgement_id } : {}) },
  };
}
