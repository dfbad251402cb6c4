// CSV: one row per judgement, answers flattened to answer.<question> columns, the option order the
// rater saw as JSON in shown_order, payload and hidden fields flattened to payload.<f> / hidden.<f>.
// Lines are assembled by SQLite a batch at a time (sql-rows.ts); csv-cells.ts keeps the
// JavaScript rules (neutraliseFormula, RFC 4180 quoting) that the SQL mirrors, and writes the header.
import type { AtomicFile } from './atomic-output';
import { csvField, neutraliseFormula } from './csv-cells';
import type { ProgressMeter } from './progress';
import type { ExportSource } from './source';
import { SHOWN_ORDER_SQL } from './source';
import { concatSql, csvJsonFieldSql, csvTextSql, isoSql, itemJoinedLineBatches, PathParams, raterSql } from './sql-rows';

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
 * The SQL for one CSV line (CRLF-terminated) in csvHeader's column order, in two parts: the
 * judgement's cells and the item's (payload and hidden fields, shared by its raters).
 */
export function csvLineSql(source: ExportSource, params: PathParams): { head: string; tail: string } {
  const head = [
    params.text(csvField(neutraliseFormula(source.campaign.name))),
    'j.id',
    'i.id',
    'i.position',
    csvTextSql('i.kind'),
    csvTextSql(raterSql(source)),
    ...source.questions.map((question) => csvJsonFieldSql('j.answer_json', question.id, params)),
    // Our own JSON (it starts with "{"): quoted, never a formula.
    `'"' || replace(${SHOWN_ORDER_SQL}, '"', '""') || '"'`,
    'j.active_ms',
    isoSql('a.leased_at'),
    isoSql('j.submitted_at'),
    csvTextSql('i.condition'),
  ];
  const tail = [
    ...source.payloadFields.map((field) => csvJsonFieldSql('i.payload_json', field, params)),
    ...source.hiddenFields.map((field) => csvJsonFieldSql('i.hidden_json', field, params)),
  ];
  const separated = (cells: string[]) => cells.flatMap((cell, index) => (index ? ["','", cell] : [cell]));
  return { head: concatSql(separated(head)), tail: concatSql([...tail.flatMap((cell) => ["','", cell]), 'char(13, 10)']) };
}

export async function writeCsv(source: ExportSource, file: AtomicFile, meter: ProgressMeter): Promise<void> {
  file.write(`${csvHeader(source).map((name) => csvField(neutraliseFormula(name))).join(',')}\r\n`);
  const params = new PathParams();
  const line = csvLineSql(source, params);
  for (const batch of itemJoinedLineBatches(source.db, source.campaign.id, line.head, line.tail, params.values)) {
    file.write(batch.text);
    await meter.advance(batch.rows);
  }
}
