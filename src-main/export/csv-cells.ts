// CSV written in JavaScript (the MTurk export and the results' CSV files): RFC 4180 quoting, with
// formula-injection neutralising from util/formula.ts (the one rule, also used by the engine's
// CSV). Writing is done here rather than with csv-stringify: measured on 100k judgements it took
// 1.4 s of a 3 s export (option handling per cell), and quoting is five lines. Parsing, where the
// hard cases live (quotes, embedded newlines, BOMs), stays with csv-parse.
import { neutraliseFormula } from '../util/formula';
import type { AtomicFile } from './atomic-output';

export { neutraliseFormula, restoreFormula } from '../util/formula';

export type Cell = string | number | null;

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;

/** One CSV field: quoted when it holds a comma, quote or line break; quotes doubled (RFC 4180). */
export function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  return NEEDS_QUOTES.test(cell) ? `"${cell.replace(QUOTE, '""')}"` : cell;
}

/** Rows end in CRLF as RFC 4180 (and Excel, and MTurk's own files) have them. */
export class CsvWriter {
  constructor(
    private readonly file: AtomicFile,
    header: string[],
  ) {
    this.file.write(`${header.map((name) => csvField(neutraliseFormula(name))).join(',')}\r\n`);
  }

  /** Text cells must already be neutralised (see textCell); numbers and nulls are written as they are. */
  row(cells: Cell[]): void {
    let line = csvField(cells[0]);
    for (let i = 1; i < cells.length; i++) line += `,${csvField(cells[i])}`;
    this.file.write(`${line}\r\n`);
  }

  flush(): void {
    // Rows go straight to the AtomicFile, which batches them into ~1 MiB writes.
  }
}

/** A text cell: any JSON value as text (objects as JSON), neutralised against formula injection. */
export function textCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return String(value);
  return neutraliseFormula(typeof value === 'string' ? value : JSON.stringify(value));
}
