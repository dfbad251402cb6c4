// MTurk batch results CSV, so analysis scripts written for MTurk keep working: one row per
// assignment (judgement) with HITId / AssignmentId / WorkerId / times, Input.<payload field> and
// Answer.<question>. Hidden fields go to Hidden.<field> columns (never Input.*, which is what a
// worker sees) so a round trip through `sightline import-results` keeps them hidden.
import { parseJson } from '../store/db';
import type { AtomicFile } from './atomic-output';
import { CsvWriter, textCell, type Cell } from './csv-cells';
import {
  ANSWER_PREFIX,
  HIDDEN_PREFIX,
  HIT_ID_FIELD,
  INPUT_PREFIX,
  MTURK_FIXED_COLUMNS,
  SIGHTLINE_COLUMNS,
  mturkTime,
} from './mturk-format';
import type { ProgressMeter } from './progress';
import { iterateExportRows } from '../store/export-rows';
import type { ShownJson } from '../util/shown-order';
import { BoundedCache, raterLabel, type ExportSource } from './source';

interface ShownWithSource extends ShownJson {
  source?: { AssignmentId?: string };
}

export async function writeMturk(source: ExportSource, file: AtomicFile, meter: ProgressMeter): Promise<void> {
  const hiddenFields = source.hiddenFields.filter((field) => field !== HIT_ID_FIELD);
  const csv = new CsvWriter(file, [
    ...MTURK_FIXED_COLUMNS,
    ...source.payloadFields.map((field) => `${INPUT_PREFIX}${field}`),
    ...source.questions.map((question) => `${ANSWER_PREFIX}${question.id}`),
    ...SIGHTLINE_COLUMNS,
    ...hiddenFields.map((field) => `${HIDDEN_PREFIX}${field}`),
  ]);
  const { campaign } = source;
  const hitTypeId = textCell(`sightline-${campaign.id}-${campaign.template.id}-v${campaign.template.version}`);
  const itemCells = new BoundedCache<number, { hitId: Cell; inputs: Cell[]; hidden: Cell[] }>();
  for (const row of iterateExportRows(source.db, campaign.id)) {
    const item = itemCells.get(row.item_id, () => {
      const payload =
        parseJson<Record<string, unknown>>(row.payload_json, `items.payload_json (item ${row.item_id})`) ?? {};
      const hidden =
        parseJson<Record<string, unknown>>(row.hidden_json, `items.hidden_json (item ${row.item_id})`) ?? {};
      return {
        hitId: textCell(
          typeof hidden[HIT_ID_FIELD] === 'string' ? hidden[HIT_ID_FIELD] : `sightline-item-${row.item_id}`,
        ),
        inputs: source.payloadFields.map((field) => textCell(payload[field])),
        hidden: hiddenFields.map((field) => textCell(hidden[field])),
      };
    });
    const answer =
      parseJson<Record<string, unknown>>(row.answer_json, `judgements.answer_json (judgement ${row.judgement_id})`) ??
      {};
    const shown = parseJson<ShownWithSource>(row.shown_json, `judgements.shown_json (judgement ${row.judgement_id})`);
    const cells: Cell[] = [
      item.hitId,
      hitTypeId,
      textCell(shown?.source?.AssignmentId ?? `sightline-assignment-${row.assignment_id}`),
      textCell(raterLabel(source, row)),
      'Submitted',
      mturkTime(row.leased_at),
      mturkTime(row.submitted_at),
      // MTurk's WorkTimeInSeconds is wall time from accept to submit; active time is in Sightline.ActiveTimeInSeconds.
      // The difference of the two whole-second times written beside it, so an import (which reads
      // those times) exports the same value again.
      Math.max(0, Math.floor(row.submitted_at / 1000) - Math.floor(row.leased_at / 1000)),
      ...item.inputs,
    ];
    for (const question of source.questions) cells.push(textCell(answer[question.id]));
    // An unknown order ("null", see shown-order.ts) is an empty cell, as MTurk's own files have none.
    cells.push(
      textCell(row.item_kind),
      textCell(row.condition),
      row.shown_order === 'null' ? null : row.shown_order,
      row.active_ms / 1000,
      ...item.hidden,
    );
    csv.row(cells);
    if (meter.tick()) await meter.pause();
  }
  csv.flush();
}
