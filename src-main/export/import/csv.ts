// Reads our plain CSV export (csv.ts): one row per judgement, answer.<question>, shown_order as
// JSON, payload.<field> and hidden.<field>. The export quotes every text cell and writes numbers,
// booleans and missing values bare, so whether a cell was quoted tells "5" (text) from 5 and ""
// from a missing field; lists and objects are quoted JSON text (a text that looks exactly like
// JSON reads back as JSON, as in the MTurk reader).
import { badFile } from '../../util/errors';
import { restoreFormula } from '../csv-cells';
import { parseOrderText, type Where } from '../import-shown-order';
import { cellValue, readCsvRecords } from './csv-records';
import { RECORD_NAMES } from './records';
import { isItemKind, isoMs, ItemCollector, type ResultRow, type ResultsTable } from './table';

interface Cell {
  text: string;
  quoted: boolean;
}

const ANSWER = 'answer.';
const PAYLOAD = 'payload.';
const HIDDEN = 'hidden.';

/** A payload or hidden cell back to its JSON value; undefined for a bare empty cell (the item has no such field). */
function fieldValue(cell: Cell): unknown {
  if (!cell.quoted) {
    if (cell.text === '') return undefined;
    if (/^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false)$/.test(cell.text)) return JSON.parse(cell.text);
  }
  return cellValue(cell.text);
}

export function readCsvResults(file: string): ResultsTable {
  const { records, sha256 } = readCsvRecords<Cell>(file, (text, context) => ({ text, quoted: context.quoting }));
  const header = records[0].record.map((cell) => restoreFormula(cell.text.trim()));
  for (const required of ['item_id', 'rater'])
    if (!header.includes(required)) throw badFile(file, 'header', `a ${required} column (Sightline results CSV)`);
  const named = (prefix: string) =>
    header.flatMap((name, index) => (name.startsWith(prefix) ? [{ name: name.slice(prefix.length), index }] : []));
  const answerColumns = named(ANSWER);
  const payloadColumns = named(PAYLOAD);
  const hiddenColumns = named(HIDDEN);
  if (answerColumns.length === 0) throw badFile(file, 'header', 'at least one answer.<question> column');
  const column = (name: string) => header.indexOf(name);
  const items = new ItemCollector(file);
  const rows: ResultRow[] = [];
  for (const entry of records.slice(1)) {
    const line = entry.info.lines;
    const at = `line ${line}`;
    const cell = (name: string): Cell => entry.record[column(name)] ?? { text: '', quoted: false };
    const text = (name: string) => cell(name).text;
    const itemKey = text('item_id');
    if (itemKey === '') throw badFile(file, `${at}: item_id`, "the item's id", 'an empty cell');
    const rater = restoreFormula(text('rater'));
    if (rater === '') throw badFile(file, `${at}: rater`, "the rater's pseudonym or name", 'an empty cell');
    const whole = (name: string, fallback: number | null): number | null => {
      const value = text(name);
      if (value === '' && column(name) < 0) return fallback;
      if (!/^\d{1,15}$/.test(value))
        throw badFile(file, `${at}: ${name}`, 'a whole number, at least 0', JSON.stringify(value.slice(0, 80)));
      return Number(value);
    };
    const kind = text('item_kind') || 'normal';
    if (!isItemKind(kind))
      throw badFile(
        file,
        `${at}: item_kind`,
        'normal, gold, attention or qualification',
        JSON.stringify(kind.slice(0, 80)),
      );
    const fields = (columns: { name: string; index: number }[]) =>
      Object.fromEntries(
        columns.flatMap(({ name, index }) => {
          const value = fieldValue(entry.record[index]);
          return value === undefined ? [] : [[name, value]];
        }),
      );
    const condition = cell('condition');
    items.add(
      itemKey,
      at,
      {
        payload: fields(payloadColumns),
        hidden: fields(hiddenColumns),
        condition: condition.text === '' && !condition.quoted ? null : restoreFormula(condition.text),
        kind,
      },
      whole('item_position', null),
    );
    const time = (name: string) => (text(name) === '' ? null : isoMs(file, `${at}: ${name}`, text(name)));
    const submittedAt = time('submitted_at');
    const leasedAt = time('leased_at');
    const where: Where = { file, at, orderField: 'shown_order', payloadPrefix: PAYLOAD };
    rows.push({
      at,
      itemKey,
      rater,
      // Answers stay text (formula neutralising undone); the core reads them for each question's type.
      answers: Object.fromEntries(
        answerColumns.map(({ name, index }) => [name, restoreFormula(entry.record[index].text)]),
      ),
      shownOrder: parseOrderText(text('shown_order').trim(), where),
      submittedAt: submittedAt ?? leasedAt ?? 0,
      leasedAt: leasedAt ?? submittedAt ?? 0,
      activeMs: whole('active_ms', 0)!,
      source: { line, ...(text('judgement_id') ? { judgement_id: text('judgement_id') } : {}) },
    });
  }
  return {
    format: 'csv',
    file,
    sha256,
    description: 'the CSV results file',
    names: RECORD_NAMES,
    answerKeys: answerColumns.map(({ name }) => name),
    answerKeysComplete: true,
    payloadFields: payloadColumns.map(({ name }) => name),
    items: items.items(),
    rows,
    skipped: 0,
  };
}
