// JSONL: one judgement per line (see judgementRecord), written by the columnar engine's JSON
// writer (store/columnar-engine.ts, issue 12). What the rater saw is the compact `shown_order`
// (with `payload` and the template's questions in the provenance manifest); the full `shown`
// questions are added with fullShown (CLI --full-shown).
import { parseJson } from '../store/db';
import { jsonlQuery } from '../store/columnar-formats';
import type { AtomicFile } from './atomic-output';
import { writeWithEngine } from './engine-output';
import type { ProgressMeter } from './progress';
import type { ExportRow } from '../store/export-rows';
import { isoTime, type ExportSource } from './source';

/** One exported judgement as an object (for callers that want values, not text). */
export function judgementRecord(campaignName: string, row: ExportRow, rater = row.rater_pseudonym) {
  return {
    campaign: campaignName,
    judgement_id: row.judgement_id,
    assignment_id: row.assignment_id,
    item_id: row.item_id,
    item_position: row.item_position,
    item_kind: row.item_kind,
    rater,
    answer: parseJson(row.answer_json, 'judgements.answer_json'),
    shown_order: parseJson(row.shown_order, 'judgements.shown_order'),
    shown: parseJson(row.shown_json, 'judgements.shown_json'),
    active_ms: row.active_ms,
    leased_at: isoTime(row.leased_at),
    submitted_at: isoTime(row.submitted_at),
    payload: parseJson(row.payload_json, 'items.payload_json'),
    hidden: parseJson(row.hidden_json, 'items.hidden_json'),
    condition: row.condition,
  };
}

export function writeJsonl(source: ExportSource, file: AtomicFile, meter: ProgressMeter): Promise<void> {
  return writeWithEngine(jsonlQuery(source), source, file, meter);
}
