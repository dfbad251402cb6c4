// What every results-file reader ("dialect") hands the one importer core (core.ts): the items, and one
// normalised row per judgement, plus the names the file uses for its fields so that an error can
// name them as the file does (MTurk "Answer.q", JSONL "answer.q", Label Studio "result q").
import type { NewItem } from '../../store/campaigns';
import { badFile } from '../../util/errors';

// Declared once in the contract (results.import takes them).
export { IMPORT_FORMATS, type ImportFormat } from '../../contract/results';
import type { ImportFormat } from '../../contract/results';

export interface FieldNames {
  /** The file's name for a question's answer, e.g. "Answer.quality". */
  answer: (questionId: string) => string;
  /** The file's name for the recorded shown order, e.g. "Sightline.ShownOrder". */
  shownOrder: string;
  /** Prefix of payload fields, e.g. "Input." ("options" -> "Input.options"). */
  payloadPrefix: string;
  /** For the one-judgement-per-rater-per-item rule: "worker" / "HIT" on MTurk, else "rater" / "item". */
  rater: string;
  item: string;
  /** The file's name for the rater column ("WorkerId", "rater"), kept in the rater's source. */
  raterField: string;
}

export interface ImportedItem {
  /** The file's id for the item (HITId, item_id, task id): rows name their item by it. */
  key: string;
  item: NewItem;
}

export interface ResultRow {
  /** Where in the file, for errors: "line 3", "row 4", "task 2, annotation 1". */
  at: string;
  itemKey: string;
  rater: string;
  /**
   * Answers by question id as the file has them: text formats give strings (formula neutralising
   * undone), JSON formats typed values. The core reads them for the template's question types.
   */
  answers: Record<string, unknown>;
  /** The recorded order (parsed JSON); null or undefined when the file does not record it. */
  shownOrder: unknown;
  leasedAt: number;
  submittedAt: number;
  activeMs: number;
  /** Kept in the judgement's shown_json.source, to find the row again. */
  source: Record<string, unknown>;
}

export interface ResultsTable {
  format: ImportFormat;
  /** Absolute path named by errors (for a Hugging Face folder: the folder). */
  file: string;
  /** SHA-256 of the bytes read, recorded in the campaign's settings. */
  sha256: string;
  /** Words for the campaign's instructions: "the MTurk results file". */
  description: string;
  names: FieldNames;
  /** The answer keys in file order. */
  answerKeys: string[];
  /**
   * Whether answerKeys are all the study's questions (a column per question: MTurk, CSV, Parquet)
   * or only those someone answered (JSONL and Label Studio answer objects leave unanswered ones out).
   */
  answerKeysComplete: boolean;
  /** Payload fields in file order, for a template built from the data. */
  payloadFields: string[];
  /** Items in campaign order (positions 0, 1, ...). */
  items: ImportedItem[];
  /** Judgements in the order they are written (judgement ids follow it). */
  rows: ResultRow[];
  /** Rows left out on purpose: MTurk rejected assignments, Label Studio cancelled annotations. */
  skipped: number;
  /**
   * Whether the file's rater ids are already pseudonyms to show as they are (MTurk WorkerIds);
   * otherwise raters get R001, R002, ... (a Label Studio annotator is often an e-mail address).
   */
  keepsRaterIds?: boolean;
}

const ITEM_KINDS = ['normal', 'gold', 'attention', 'qualification'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

export const isItemKind = (value: unknown): value is ItemKind => (ITEM_KINDS as readonly unknown[]).includes(value);

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An ISO 8601 time (as our exports write it) to milliseconds; bad_file naming the field otherwise. */
export function isoMs(file: string, field: string, value: unknown): number {
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    throw badFile(file, field, 'an ISO 8601 time like "2025-01-15T09:12:34.000Z"', JSON.stringify(value)?.slice(0, 80));
  return ms;
}

/** A whole number of milliseconds, at least 0; bad_file naming the field otherwise. */
export function wholeMs(file: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw badFile(file, field, 'a whole number of milliseconds, at least 0', JSON.stringify(value)?.slice(0, 80));
  return value;
}

/**
 * Items gathered from per-judgement rows (JSONL, CSV, Parquet repeat the item on each of its rows):
 * first-seen, then put in the file's item_position order when every item has one. A later row
 * that disagrees with the first about the item is refused: it cannot be told which one raters saw.
 */
export class ItemCollector {
  private readonly byKey = new Map<
    string,
    { item: ImportedItem; position: number | null; seen: string; at: string; order: number }
  >();

  constructor(private readonly file: string) {}

  add(key: string, at: string, item: NewItem, position: number | null): void {
    const seen = JSON.stringify([
      item.payload,
      item.hidden ?? {},
      item.condition ?? null,
      item.kind ?? 'normal',
      position,
    ]);
    const known = this.byKey.get(key);
    if (known) {
      if (known.seen !== seen)
        throw badFile(
          this.file,
          at,
          `the same payload, hidden fields, condition, kind and position as ${known.at} (item ${key})`,
          'different ones',
        );
      return;
    }
    this.byKey.set(key, { item: { key, item }, position, seen, at, order: this.byKey.size });
  }

  items(): ImportedItem[] {
    const entries = [...this.byKey.values()];
    if (entries.every((entry) => entry.position !== null))
      entries.sort((a, b) => a.position! - b.position! || a.order - b.order);
    return entries.map((entry) => entry.item);
  }
}
