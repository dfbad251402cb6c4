// `sightline import-results`: picks the reader for the file's format (named, or recognised from
// the extension, the folder or a CSV header) and hands its table to the one importer core.
// Neuronpedia explanation rows are per-feature explanations, not judgements: not importable.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../../store/db';
import { AppError } from '../../util/errors';
import { writeImportedResults, type ImportOptions, type ImportResult } from './core';
import { readCsvResults } from './csv';
import { readJsonlResults } from './jsonl';
import { readLabelStudioResults } from './label-studio';
import { readMturkResults } from './mturk';
import { parseResultsMapping, type ResultsMapping } from './mturk-mapping';
import { decodeUtf8Strict } from '../../util/utf8';
import { builtinTemplate } from '../../domain/templates';
import { readHfResults, readParquetResults } from './parquet';
import { IMPORT_FORMATS, type ImportFormat, type ResultsTable } from './table';

export { IMPORT_FORMATS, type ImportFormat } from './table';
export type { ImportResult } from './core';

export const NEURONPEDIA_NOT_IMPORTABLE =
  'Neuronpedia explanation rows are per-feature explanations, not judgements, so they cannot be imported as a campaign';

const READERS: Record<ImportFormat, (file: string) => ResultsTable | Promise<ResultsTable>> = {
  mturk: (file) => readMturkResults(file),
  jsonl: readJsonlResults,
  csv: readCsvResults,
  'label-studio': readLabelStudioResults,
  parquet: readParquetResults,
  hf: readHfResults,
};

/** The first line of a CSV file (enough to tell MTurk's batch results from our plain CSV). */
function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('utf8').split(/\r?\n/)[0];
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The format of `file` from its name (or, for a .csv, its header): a folder is a Hugging Face
 * dataset, .jsonl JSONL, .json Label Studio, .parquet Parquet; a .csv with HITId is MTurk's batch
 * results, one with item_id and rater our plain CSV, and anything else is read as MTurk (the
 * command's behaviour before it knew other formats).
 */
export function detectImportFormat(file: string): ImportFormat {
  if (fs.statSync(file).isDirectory()) return 'hf';
  const name = path.basename(file).toLowerCase();
  if (name.endsWith('.neuronpedia.jsonl'))
    throw new AppError('invalid_input', `${file}: ${NEURONPEDIA_NOT_IMPORTABLE}`, { file });
  if (name.endsWith('.jsonl')) return 'jsonl';
  if (name.endsWith('.json')) return 'label-studio';
  if (name.endsWith('.parquet')) return 'parquet';
  if (name.endsWith('.mturk.csv')) return 'mturk';
  const header = firstLine(file)
    .replace(/^\ufeff/, '')
    .split(',')
    .map((cell) => cell.replace(/^"|"$/g, '').trim());
  if (!header.includes('HITId') && header.includes('item_id') && header.includes('rater')) return 'csv';
  return 'mturk';
}

/** A --mapping file, read before anything is written: a mistake names the mapping file, line and column. */
export function readResultsMapping(file: string): ResultsMapping {
  if (!fs.existsSync(file)) throw new AppError('not_found', `--mapping ${file}: no such file`);
  return parseResultsMapping(decodeUtf8Strict(fs.readFileSync(file), file), file);
}

export async function importResults(
  db: Db,
  options: ImportOptions & { file: string; format?: ImportFormat | 'auto'; mapping?: ResultsMapping },
): Promise<ImportResult> {
  const file = path.resolve(options.file);
  if (!fs.existsSync(file)) throw new AppError('not_found', `${file}: no such file or folder`, { file });
  const format = !options.format || options.format === 'auto' ? detectImportFormat(file) : options.format;
  if (!(IMPORT_FORMATS as readonly string[]).includes(format))
    throw new AppError('invalid_input', `format: expected one of ${IMPORT_FORMATS.join(', ')}, got "${format}"`);
  const { mapping } = options;
  if (mapping && format !== 'mturk')
    throw new AppError('invalid_input', `mapping: reads MTurk batch results (format mturk), not ${format}`);
  if (mapping && !options.templateId)
    throw new AppError('invalid_input', 'mapping: needs a template (--template ID) whose questions it answers');
  const table = mapping
    ? readMturkResults(file, { mapping, template: builtinTemplate(options.templateId!) })
    : await READERS[format](file);
  return writeImportedResults(db, table, options);
}
