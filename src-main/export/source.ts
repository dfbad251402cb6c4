// What every export format reads before its first row: the campaign, its question list and the
// payload/hidden field names, plus the small helpers the row writers share. The queries (the
// live-judgement cursor and its counts) are in store/export-rows.ts.
import type { QuestionSpec, TemplateSpec } from '../contract/types';
import { getCampaign, type CampaignRecord } from '../store/campaigns';
import type { Db } from '../store/db';
import { estimateLiveJudgements, itemFieldNames, registerExportFunctions, type ExportRow } from '../store/export-rows';
import type { BatchReader } from './batch-reader';

/** Everything an exporter needs to know before the first row: read up front, since the cursor holds the connection. */
export interface ExportSource {
  db: Db;
  campaign: CampaignRecord;
  template: TemplateSpec;
  questions: QuestionSpec[];
  /** Top-level payload field names over all items, in first-seen order. */
  payloadFields: string[];
  hiddenFields: string[];
  /** Progress total (see estimateLiveJudgements); the exact count is what the writer streams. */
  total: number;
  revealRaters: boolean;
  /** Also write the full shown questions (`shown`), not only the compact `shown_order`. */
  fullShown: boolean;
  /** A second connection on the same snapshot that the batch queries can share (large exports only). */
  batchReader: BatchReader | null;
}

export function openExportSource(
  db: Db,
  campaignId: number,
  options: { revealRaters?: boolean; fullShown?: boolean; batchReader?: BatchReader | null; total?: number } = {},
): ExportSource {
  registerExportFunctions(db);
  const campaign = getCampaign(db, campaignId);
  // The field lists cost a json_each pass over every item: computed only by formats that flatten fields.
  let fields: { payload: string[]; hidden: string[] } | undefined;
  const fieldLists = () => (fields ??= itemFieldNames(db, campaignId, options.batchReader ?? null));
  return {
    db,
    campaign,
    template: campaign.template,
    questions: campaign.template.questions,
    get payloadFields() {
      return fieldLists().payload;
    },
    get hiddenFields() {
      return fieldLists().hidden;
    },
    total: options.total ?? estimateLiveJudgements(db, campaignId),
    revealRaters: options.revealRaters ?? false,
    fullShown: options.fullShown ?? false,
    batchReader: options.batchReader ?? null,
  };
}

/** The rater column: the pseudonym unless the researcher asked to reveal names. */
export const raterLabel = (source: ExportSource, row: ExportRow): string =>
  source.revealRaters ? row.rater_name : row.rater_pseudonym;

const iso = (ms: number): string => new Date(ms).toISOString();
export { iso as isoTime };

/** For columns holding any JSON value: strings stay as they are, everything else is JSON text. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Items' parsed payload/hidden are reused across the raters of an item; the cache is bounded so memory stays flat. */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit = 20_000) {}
  get(key: K, make: () => V): V {
    let value = this.map.get(key);
    if (value === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      value = make();
      this.map.set(key, value);
    }
    return value;
  }
}
