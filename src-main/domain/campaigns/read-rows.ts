import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { binaryFileKind } from '../../util/binary-file';
import { AppError, badFile } from '../../util/errors';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../util/json-depth';
import { decodeUtf8Strict } from '../../util/utf8';

export type Row = Record<string, unknown>;

/** Parses CSV text with a header row (quoting and embedded newlines handled by csv-parse). */
export function parseCsv(text: string, file: string): Row[] {
  // A repeated column name would silently keep only its last cell in each row.
  const header = (names: string[]): string[] => {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) throw badFile(file, 'header', 'unique column names', `"${name}" twice`);
      seen.add(name);
    }
    return names;
  };
  try {
    return parse(text, { columns: header, bom: true, skip_empty_lines: true, trim: false }) as Row[];
  } catch (error) {
    if (error instanceof AppError) throw error;
    const { lines } = error as { lines?: number };
    throw new AppError(
      'bad_file',
      `${file}: line ${lines ?? '?'}: expected well-formed CSV (${(error as Error).message})`,
      { file, line: lines },
    );
  }
}

/** A row must be an object, and shallow enough to stringify and send over the bridge. */
function checkRow(row: unknown, file: string, where: string): Row {
  if (!row || typeof row !== 'object' || Array.isArray(row)) throw badFile(file, where, 'a JSON object');
  if (nestsDeeperThan(row, MAX_JSON_DEPTH + 1))
    throw badFile(file, where, `values nested at most ${MAX_JSON_DEPTH} deep`);
  return row as Row;
}

/** Parses JSONL (one JSON object per line); a JSON array file is accepted too. */
export function parseJsonl(text: string, file: string): Row[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const rows = JSON.parse(trimmed) as unknown[];
      return rows.map((row, index) => checkRow(row, file, `[${index}]`));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw badFile(file, '(file)', `a JSON array of objects (${(error as Error).message})`);
    }
  }
  return text.split(/\r?\n/).flatMap((line, index) => {
    if (!line.trim()) return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw badFile(file, `line ${index + 1}`, `one JSON object per line (${(error as Error).message})`);
    }
    return [checkRow(value, file, `line ${index + 1}`)];
  });
}

export type RowsFormat = 'csv' | 'jsonl';

export function parseRows(bytes: Uint8Array, file: string, format?: RowsFormat): Row[] {
  // Named, not parsed: a parser's error would print the file's bytes back at the researcher.
  const binary = binaryFileKind(bytes);
  if (binary)
    throw badFile(
      file,
      '(file)',
      'CSV or JSONL text',
      `${binary}; save it as CSV (UTF-8) or JSONL and choose that file`,
    );
  const text = decodeUtf8Strict(bytes, file);
  const chosen = format ?? (path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  const rows = chosen === 'csv' ? parseCsv(text, file) : parseJsonl(text, file);
  if (rows.length === 0) throw badFile(file, '(rows)', 'at least one item row');
  return rows;
}

export function readRowsFile(file: string, format?: RowsFormat): Row[] {
  if (!fs.existsSync(file)) throw new AppError('not_found', `${file}: no such file`);
  return parseRows(fs.readFileSync(file), file, format);
}
