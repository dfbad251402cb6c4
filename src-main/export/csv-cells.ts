// CSV shared by the plain CSV and the MTurk exports: formula-injection neutralising and RFC 4180
// quoting. Writing is done here rather than with csv-stringify: measured on 100k judgements it took
// 1.4 s of a 3 s export (option handling per cell), and quoting is five lines. Parsing, where the
// hard cases live (quotes, embedded newlines, BOMs), stays with csv-parse.
import type { AtomicFile } from './atomic-output';

/**
 * Spreadsheet apps execute cells that begin with = + - @ (and tab / carriage return, which some
 * strip before looking), e.g. =HYPERLINK(...) in a rater's free-text answer. OWASP's advice is to
 * prefix such cells with a single quote, which shows the text as typed. Numbers we write ourselves
 * (ids, scale answers, times) are not text and are left alone, so -3 stays a number.
 */
export function neutraliseFormula(text: string): string {
  if (text.length === 0) return text;
  const first = text.charCodeAt(0);
  // = + - @ \t \r
  return first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13
    ? `'${text}`
    : text;
}

/** The inverse, for importing our own (or any OWASP-neutralised) CSV: "'=x" back to "=x". */
export function restoreFormula(text: string): string {
  if (text.length < 2 || text.charCodeAt(0) !== 39 /* ' */) return text;
  return neutraliseFormula(text.slice(1)) === text ? text.slice(1) : text;
}

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
