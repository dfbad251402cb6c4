// Reading a results CSV file (MTurk's or our plain CSV export): strict UTF-8, csv-parse for the
// hard cases (quotes, embedded newlines, BOMs), each record with the line it ends on for errors.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parse, type CastingContext } from 'csv-parse/sync';
import { AppError, badFile } from '../../util/errors';
import { decodeUtf8Strict } from '../../util/utf8';
import { restoreFormula } from '../csv-cells';

export interface CsvRecord<Cell = string> {
  record: Cell[];
  info: { lines: number };
}

/**
 * The file's records (header first; at least one data row) and the SHA-256 of its bytes. `cast`
 * sees each cell with csv-parse's context (e.g. whether it was quoted).
 */
export function readCsvRecords<Cell = string>(
  file: string,
  cast?: (value: string, context: CastingContext) => Cell,
): { records: CsvRecord<Cell>[]; sha256: string } {
  const bytes = fs.readFileSync(file);
  const text = decodeUtf8Strict(bytes, file);
  let records: CsvRecord<Cell>[];
  try {
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      info: true,
      relax_column_count: false,
      ...(cast ? { cast } : {}),
    }) as unknown as CsvRecord<Cell>[];
  } catch (error) {
    throw new AppError('bad_file', `${file}: not a readable CSV file: ${(error as Error).message}`, { file });
  }
  if (records.length < 2)
    throw badFile(file, 'rows', 'a header row and at least one result row', `${records.length} row(s)`);
  return { records, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

/** A CSV cell back to a value: our formula neutralising undone, JSON lists/objects (how we export non-text values) parsed. */
export function cellValue(text: string): unknown {
  const value = restoreFormula(text);
  if ((value.startsWith('[') && value.endsWith(']')) || (value.startsWith('{') && value.endsWith('}'))) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}
