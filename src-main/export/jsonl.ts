// JSONL: one judgement per line, the shape the first exporter shipped (see judgementRecord), so
// existing readers keep working. Lines are assembled by SQLite (source.ts iterateJsonlLines): the
// JSON columns are spliced in as stored rather than parsed and re-serialised, so the export runs
// at disk speed (issue 5: >= 200k rows/s).
import { parseJson } from '../store/db';
import type { AtomicFile } from './atomic-output';
import type { ProgressMeter } from './progress';
import { isoTime, iterateJsonlLines, type ExportRow, type ExportSource } from './source';

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
    shown: parseJson(row.shown_json, 'judgements.shown_json'),
    active_ms: row.active_ms,
    leased_at: isoTime(row.leased_at),
    submitted_at: isoTime(row.submitted_at),
    payload: parseJson(row.payload_json, 'items.payload_json'),
    hidden: parseJson(row.hidden_json, 'items.hidden_json'),
    condition: row.condition,
  };
}

export function writeJsonl(source: ExportSource, file: AtomicFile, meter: ProgressMeter): void {
  for (const line of iterateJsonlLines(source.db, source.campaign.id, { campaignName: source.campaign.name, revealRaters: source.revealRaters })) {
    file.write(line);
    meter.tick();
  }
}
