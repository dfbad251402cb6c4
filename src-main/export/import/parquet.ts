// Reads our Parquet export and Hugging Face dataset folder (parquet.ts: one row per judgement;
// answer, shown_order, payload and hidden are JSON text columns, times are TIMESTAMPs) with
// hyparquet, a maintained pure-JS reader. The whole file is read into memory: results files are
// small next to the project (a million judgements is ~21 MB of Parquet).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { AppError, badFile } from '../../util/errors';
import { KeyOrder, RECORD_NAMES, recordRow, type RecordContext } from './records';
import { ItemCollector, type ResultRow, type ResultsTable } from './table';

const JSON_COLUMNS = ['answer', 'shown_order', 'payload', 'hidden'] as const;
const ANSWER_COLUMN = 'answer_';

interface ParquetRows {
  columns: string[];
  rows: Record<string, unknown>[];
}

async function readParquetRows(file: string, bytes: Buffer): Promise<ParquetRows> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const metadata = parquetMetadata(buffer);
    const columns = metadata.schema.slice(1).map((element) => element.name);
    const rows = (await parquetReadObjects({ file: buffer, metadata })) as Record<string, unknown>[];
    return { columns, rows };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('bad_file', `${file}: not a readable Parquet file: ${(error as Error).message}`, { file });
  }
}

/** Adds one Parquet file's rows (errors name that file and the row, counted from 1). */
function addRows(
  context: RecordContext,
  parquet: ParquetRows,
  source: Record<string, unknown>,
  out: ResultRow[],
  answerColumns: KeyOrder,
): void {
  const { file } = context;
  for (const required of ['item_id', 'rater', 'answer'])
    if (!parquet.columns.includes(required))
      throw badFile(file, 'schema', `a ${required} column (Sightline results Parquet)`);
  for (const name of parquet.columns)
    if (name.startsWith(ANSWER_COLUMN)) answerColumns.add({ [name.slice(ANSWER_COLUMN.length)]: true });
  parquet.rows.forEach((raw, index) => {
    const at = `row ${index + 1}`;
    const record: Record<string, unknown> = { ...raw };
    for (const name of JSON_COLUMNS) {
      const value = raw[name];
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string') throw badFile(file, `${at}: ${name}`, 'JSON text', typeof value);
      try {
        record[name] = JSON.parse(value);
      } catch {
        throw badFile(file, `${at}: ${name}`, 'JSON text', JSON.stringify(value.slice(0, 80)));
      }
    }
    // INT32 columns come back as numbers; a file written by another tool may use INT64 (bigint).
    for (const name of ['item_id', 'item_position', 'active_ms', 'judgement_id'])
      if (typeof record[name] === 'bigint') record[name] = Number(record[name]);
    out.push(recordRow(context, at, record, { ...source, row: index + 1 }));
  });
}

function table(
  format: 'parquet' | 'hf',
  file: string,
  sha256: string,
  context: RecordContext,
  rows: ResultRow[],
  answerColumns: KeyOrder,
): ResultsTable {
  if (rows.length === 0) throw badFile(file, 'rows', 'at least one judgement', 'none');
  const columns = answerColumns.list;
  const fromObjects = context.answerKeys.list.filter((key) => !columns.includes(key));
  return {
    format,
    file,
    sha256,
    description: format === 'hf' ? 'the Hugging Face dataset folder' : 'the Parquet results file',
    names: RECORD_NAMES,
    answerKeys: [...columns, ...fromObjects],
    // answer_<question> columns name every question, answered or not.
    answerKeysComplete: columns.length > 0,
    payloadFields: context.payloadFields.list,
    items: context.items.items(),
    rows,
    skipped: 0,
  };
}

const newContext = (file: string): RecordContext => ({
  file,
  items: new ItemCollector(file),
  answerKeys: new KeyOrder(),
  payloadFields: new KeyOrder(),
});

export async function readParquetResults(file: string): Promise<ResultsTable> {
  const bytes = fs.readFileSync(file);
  const context = newContext(file);
  const rows: ResultRow[] = [];
  const answerColumns = new KeyOrder();
  addRows(context, await readParquetRows(file, bytes), {}, rows, answerColumns);
  return table('parquet', file, crypto.createHash('sha256').update(bytes).digest('hex'), context, rows, answerColumns);
}

/** A Hugging Face dataset folder as our hf export writes it: every data/*.parquet file, in name order. */
export async function readHfResults(folder: string): Promise<ResultsTable> {
  const dataDir = path.join(folder, 'data');
  const names =
    fs.existsSync(dataDir) && fs.statSync(dataDir).isDirectory()
      ? fs
          .readdirSync(dataDir)
          .filter((name) => name.endsWith('.parquet'))
          .sort()
      : [];
  if (names.length === 0)
    throw badFile(folder, 'data/', 'one or more .parquet files (a Hugging Face dataset folder)', 'none');
  const hash = crypto.createHash('sha256');
  const context = newContext(folder);
  const rows: ResultRow[] = [];
  const answerColumns = new KeyOrder();
  for (const name of names) {
    const file = path.join(dataDir, name);
    const bytes = fs.readFileSync(file);
    hash.update(bytes);
    // Errors name the Parquet file itself; items may span files, so the collector is shared.
    addRows({ ...context, file }, await readParquetRows(file, bytes), { parquet: `data/${name}` }, rows, answerColumns);
  }
  return table('hf', folder, hash.digest('hex'), context, rows, answerColumns);
}
