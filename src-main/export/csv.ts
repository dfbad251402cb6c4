// CSV: one row per judgement, answers flattened to answer.<question> columns, the option order the
// rater saw as JSON in shown_order, payload and hidden fields flattened to payload.<f> / hidden.<f>.
import { parseJson } from '../store/db';
import type { AtomicFile } from './atomic-output';
import { CsvWriter, textCell, type Cell } from './csv-cells';
import type { ProgressMeter } from './progress';
import { BoundedCache, isoTime, iterateExportRowsRaw, R, shownOrder, type ExportSource, type ShownJson } from './source';

export function csvHeader(source: ExportSource): string[] {
  return [
    'campaign',
    'judgement_id',
    'item_id',
    'item_position',
    'item_kind',
    'rater',
    ...source.questions.map((question) => `answer.${question.id}`),
    'shown_order',
    'active_ms',
    'leased_at',
    'submitted_at',
    'condition',
    ...source.payloadFields.map((field) => `payload.${field}`),
    ...source.hiddenFields.map((field) => `hidden.${field}`),
  ];
}

export function writeCsv(source: ExportSource, file: AtomicFile, meter: ProgressMeter): void {
  const csv = new CsvWriter(file, csvHeader(source));
  const campaign = textCell(source.campaign.name);
  const questionIds = source.questions.map((question) => question.id);
  const raterColumn = source.revealRaters ? R.raterName : R.raterPseudonym;
  // The item's cells (payload and hidden fields) are the same for each of its raters.
  const itemCells = new BoundedCache<number, Cell[]>();
  for (const row of iterateExportRowsRaw(source.db, source.campaign.id)) {
    const judgementId = row[R.judgementId] as number;
    const itemId = row[R.itemId] as number;
    const answer = parseJson<Record<string, unknown>>(row[R.answerJson] as string, `judgements.answer_json (judgement ${judgementId})`) ?? {};
    const shown = parseJson<ShownJson>(row[R.shownJson] as string, `judgements.shown_json (judgement ${judgementId})`);
    const fields = itemCells.get(itemId, () => {
      const payload = parseJson<Record<string, unknown>>(row[R.payloadJson] as string, `items.payload_json (item ${itemId})`) ?? {};
      const hidden = parseJson<Record<string, unknown>>(row[R.hiddenJson] as string, `items.hidden_json (item ${itemId})`) ?? {};
      return [...source.payloadFields.map((field) => textCell(payload[field])), ...source.hiddenFields.map((field) => textCell(hidden[field]))];
    });
    const cells: Cell[] = [campaign, judgementId, itemId, row[R.itemPosition] as number, textCell(row[R.itemKind]), textCell(row[raterColumn])];
    for (const id of questionIds) cells.push(textCell(answer[id]));
    cells.push(
      JSON.stringify(shownOrder(shown)),
      row[R.activeMs] as number,
      isoTime(row[R.leasedAt] as number),
      isoTime(row[R.submittedAt] as number),
      textCell(row[R.condition]),
    );
    for (const cell of fields) cells.push(cell);
    csv.row(cells);
    meter.tick();
  }
}
