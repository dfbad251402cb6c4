// CSV: one row per judgement, answers flattened to answer.<question> columns, the option order the
// rater saw as JSON in shown_order, payload and hidden fields flattened to payload.<f> / hidden.<f>.
// Lines are assembled by SQLite a batch at a time (store/export-sql.ts); csv-cells.ts keeps the
// JavaScript rules (neutraliseFormula, RFC 4180 quoting) that the SQL mirrors, and writes the header.
import type { AtomicFile } from './atomic-output';
import { csvField, neutraliseFormula } from './csv-cells';
import type { ProgressMeter } from './progress';
import { SHOWN_ORDER_SQL } from '../store/export-rows';
import {
  concatSql,
  csvJsonField,
  csvTextSql,
  isoSql,
  itemJoinedLineBatches,
  PathParams,
  raterSql,
  type ItemJoinedLines,
} from '../store/export-sql';
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

/**
 * The SQL for CSV lines (CRLF-terminated) in csvHeader's column order, in two parts: the
 * judgement's cells (head) and the item's (tail: condition, payload and hidden fields, shared by
 * its raters). See itemJoinedLineBatches for the b.cN and v.cN columns.
 */
export function csvLineSql(source: ExportSource, params: PathParams): ItemJoinedLines {
  const answers = source.questions.map((question) => csvJsonField('j.answer_json', question.id, params));
  const fields = [
    ...source.payloadFields.map((field) => csvJsonField('i.payload_json', field, params)),
    ...source.hiddenFields.map((field) => csvJsonField('i.hidden_json', field, params)),
  ];
  const separated = (cells: string[]) => cells.flatMap((cell, index) => (index ? ["','", cell] : [cell]));
  const before = concatSql(
    separated([
      params.text(csvField(neutraliseFormula(source.campaign.name))),
      'j.id',
      'i.id',
      'i.position',
      // items.kind is one of four plain words (a CHECK constraint): quoted without csvTextSql's tests.
      `'"' || i.kind || '"'`,
      csvTextSql(raterSql(source)),
    ]),
  );
  const after = concatSql(
    separated([
      // Our own JSON (it starts with "{"): quoted, never a formula. An unknown order (JSON null,
      // see shown-order.ts) is an empty cell: NULLIF makes the quoted text NULL, which concat() writes as ''.
      `'"' || replace(NULLIF(${SHOWN_ORDER_SQL}, 'null'), '"', '""') || '"'`,
      'j.active_ms',
      isoSql('a.leased_at'),
      isoSql('j.submitted_at'),
    ]),
  );
  // b.c0 = before, b.c1.. = the answers' JSON values, then after.
  const head = concatSql(
    separated(['b.c0', ...answers.map((answer, index) => answer.cell(`b.c${index + 1}`)), `b.c${answers.length + 1}`]),
  );
  // v.c0 = the condition, v.c1.. = the fields' JSON values.
  const tail = concatSql([
    ...["','", csvTextSql('v.c0')],
    ...fields.flatMap((field, index) => ["','", field.cell(`v.c${index + 1}`)]),
    'char(13, 10)',
  ]);
  return {
    judgementValues: [before, ...answers.map((answer) => answer.value), after],
    head,
    itemValues: ['i.condition', ...fields.map((field) => field.value)],
    tail,
  };
}

export async function writeCsv(source: ExportSource, file: AtomicFile, meter: ProgressMeter): Promise<void> {
  file.write(
    `${csvHeader(source)
      .map((name) => csvField(neutraliseFormula(name)))
      .join(',')}\r\n`,
  );
  const params = new PathParams();
  for (const batch of itemJoinedLineBatches(source, csvLineSql(source, params), params.values)) {
    file.writeBytes(batch.bytes, true);
    await meter.advance(batch.rows);
  }
}
