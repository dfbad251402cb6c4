// CSV: one row per judgement, answers flattened to answer.<question> columns, the option order the
// rater saw as JSON in shown_order, payload and hidden fields flattened to payload.<f> / hidden.<f>.
// Written by the columnar engine's CSV writer (store/columnar-formats.ts csvQuery, issue 12): it
// quotes a cell only where RFC 4180 needs it (comma, quote, line break; an empty string is "" so
// it differs from NULL), and text cells go through the formula rule of util/formula.ts.
import fs from 'node:fs';
import { neutraliseFormula } from '../util/formula';
import { csvQuery } from '../store/columnar-formats';
import type { AtomicFile } from './atomic-output';
import { csvField } from './csv-cells';
import { writeWithEngine } from './engine-output';
import type { ProgressMeter } from './progress';
import type { ExportSource } from './source';

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

export async function writeCsv(source: ExportSource, file: AtomicFile, meter: ProgressMeter): Promise<void> {
  const headerLine = csvHeader(source)
    .map((name) => csvField(neutraliseFormula(name)))
    .join(',');
  const query = csvQuery(source, {
    headerLine,
    questions: source.questions,
    payloadFields: source.payloadFields,
    hiddenFields: source.hiddenFields,
  });
  await writeWithEngine(query, source, file, meter);
  // No rows: the engine wrote the header, its line break and the suffix's; keep the header line alone.
  if (meter.rows === 0) fs.truncateSync(file.temp, Buffer.byteLength(`${headerLine}\r\n`));
}
