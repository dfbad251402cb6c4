import fs from 'node:fs';
import path from 'node:path';
import { getCampaign } from '../store/campaigns';
import { parseJson, type Db } from '../store/db';
import { iterateLiveJudgements, type LiveJudgementRow } from '../store/judgements';

/** One exported judgement: what was asked, what the rater saw (option order), what they answered, and the hidden condition. */
export function judgementRecord(campaignName: string, row: LiveJudgementRow) {
  return {
    campaign: campaignName,
    judgement_id: row.judgement_id,
    assignment_id: row.assignment_id,
    item_id: row.item_id,
    item_position: row.item_position,
    item_kind: row.item_kind,
    rater: row.rater_pseudonym,
    answer: parseJson(row.answer_json, 'judgements.answer_json'),
    shown: parseJson(row.shown_json, 'judgements.shown_json'),
    active_ms: row.active_ms,
    leased_at: new Date(row.leased_at).toISOString(),
    submitted_at: new Date(row.submitted_at).toISOString(),
    payload: parseJson(row.payload_json, 'items.payload_json'),
    hidden: parseJson(row.hidden_json, 'items.hidden_json'),
    condition: row.condition,
  };
}

/**
 * Streams a campaign's live judgements to JSONL: rows go from SQLite's cursor to the file one at a
 * time, into a temp file renamed at the end, so a failed export never leaves half a file.
 */
export function exportJsonl(db: Db, campaignId: number, outFile: string): { path: string; rows: number } {
  const campaign = getCampaign(db, campaignId);
  const target = path.resolve(outFile);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = `${target}.partial`;
  const fd = fs.openSync(temp, 'w');
  let rows = 0;
  try {
    let buffer = '';
    for (const row of iterateLiveJudgements(db, campaignId)) {
      buffer += `${JSON.stringify(judgementRecord(campaign.name, row))}\n`;
      rows++;
      if (buffer.length > 1 << 20) (fs.writeSync(fd, buffer), (buffer = ''));
    }
    fs.writeSync(fd, buffer);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, target);
  return { path: target, rows };
}
