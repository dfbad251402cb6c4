// One entry point for every export format. Each format streams rows from SQLite's cursor into a
// temp file that is renamed into place at the end, with a provenance manifest beside it.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';
import { estimateLiveJudgements, findMalformedJson, mostJudgements, openReadOnly } from '../store/export-rows';
import { BATCH_ROWS } from '../store/export-sql';
import { AppError } from '../util/errors';
import { AtomicDir, AtomicFile } from './atomic-output';
import { BatchReader } from './batch-reader';
import { writeCsv } from './csv';
import { writeHfCard } from './hf-card';
import { writeJsonl } from './jsonl';
import { writeLabelStudio } from './labelstudio';
import { writeMturk } from './mturk';
import { writeNeuronpedia } from './neuronpedia';
import { writeParquet } from './parquet';
import { ProgressMeter, type ProgressOptions } from './progress';
import { buildProvenance, type OutputFileRecord } from './provenance';
import { openExportSource, type ExportSource } from './source';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'parquet', 'hf', 'mturk', 'labelstudio', 'neuronpedia'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** File name suffix for exports written into the project's exports/ folder (hf is a folder). */
export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = {
  jsonl: '.jsonl',
  csv: '.csv',
  parquet: '.parquet',
  hf: '-hf',
  mturk: '.mturk.csv',
  labelstudio: '.labelstudio.json',
  neuronpedia: '.neuronpedia.jsonl',
};

export interface ExportOptions extends ProgressOptions {
  format: ExportFormat;
  out: string;
  /** Rater names instead of pseudonyms (off by default: exports are shared). */
  revealRaters?: boolean;
  /** Also write each judgement's full shown questions (`shown`) next to the compact `shown_order`. */
  fullShown?: boolean;
  /** For the hf dataset card's agreement summary; defaults to the campaign seed and 1000 replicates. */
  bootstrap?: { seed?: number; replicates?: number };
}

export interface ExportResult {
  format: ExportFormat;
  path: string;
  rows: number;
  provenancePath: string;
  files: OutputFileRecord[];
}

type FileWriter = (source: ExportSource, file: AtomicFile, meter: ProgressMeter) => Promise<number | void>;

const FILE_WRITERS: Record<Exclude<ExportFormat, 'hf'>, FileWriter> = {
  jsonl: writeJsonl,
  csv: writeCsv,
  parquet: (source, file, meter) => writeParquet(source, file, meter),
  mturk: writeMturk,
  labelstudio: writeLabelStudio,
  neuronpedia: writeNeuronpedia,
};

export function isExportFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** Formats whose batch queries a second connection can share (batch-reader.ts). */
const BATCHED_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv', 'parquet', 'hf'];
/** Below this many judgements starting the reader thread costs more than it saves. */
const BATCH_READER_FROM_ROWS = 4 * BATCH_ROWS;

interface Snapshot {
  reader: Db;
  batchReader: BatchReader | null;
  /** The progress total, when it was counted to decide on the batch reader. */
  total?: number;
  close: () => void;
}

/**
 * The export reads through its own read-only connection inside one read transaction: a consistent
 * snapshot even while raters keep submitting, and the project's connection stays free for other
 * requests whenever the export yields (see ProgressMeter.pause). Large batched exports get a
 * second reader on the same snapshot in a worker thread; when that cannot be had (the project's
 * connection is inside a transaction, or another process holds the write lock), the export reads
 * on one connection as before. In-memory databases (tests) have no file to reopen and are read
 * directly.
 */
async function openSnapshot(db: Db, campaignId: number, format: ExportFormat): Promise<Snapshot> {
  if (db.memory) return { reader: db, batchReader: null, close: () => {} };
  // The thread starts (~0.1-0.2 s) while the judgements are counted, when the campaign's items
  // times its overlap (an upper bound, from the index) could reach the threshold.
  const batched = BATCHED_FORMATS.includes(format) && !db.readonly;
  const starting =
    batched && mostJudgements(db, campaignId) >= BATCH_READER_FROM_ROWS
      ? BatchReader.start(db.name).catch(() => null)
      : null;
  const total = batched ? estimateLiveJudgements(db, campaignId) : undefined;
  let batchReader = await starting;
  if (batchReader && (total ?? 0) < BATCH_READER_FROM_ROWS) {
    batchReader.close();
    batchReader = null;
  }
  const reader = openReadOnly(db.name);
  if (batchReader) {
    try {
      if (db.inTransaction) throw new Error('the project connection is inside a transaction');
      batchReader.pinSnapshot(db, reader);
    } catch {
      batchReader.close();
      batchReader = null;
    }
  }
  if (!reader.inTransaction) reader.exec('BEGIN');
  return {
    reader,
    batchReader,
    total,
    close: () => {
      batchReader?.close();
      if (reader.inTransaction) reader.exec('COMMIT');
      reader.close();
    },
  };
}

/**
 * Names the judgement or item whose JSON SQLite refused ("malformed JSON"), so the error says
 * which row to look at. Runs only after a failure.
 */
function malformedJsonError(db: Db, campaignId: number, error: unknown): unknown {
  if (!(error instanceof Error) || !/malformed JSON|expected JSON/i.test(error.message)) return error;
  const bad = findMalformedJson(db, campaignId);
  const where = bad ? `column ${bad.col} (judgement ${bad.judgement}, item ${bad.item})` : 'a JSON column';
  return new AppError(
    'internal',
    `project.sqlite: ${where}: expected JSON; the export stopped and nothing was written`,
  );
}

export async function exportCampaign(db: Db, campaignId: number, options: ExportOptions): Promise<ExportResult> {
  if (!isExportFormat(options.format))
    throw new AppError(
      'invalid_input',
      `format: expected one of ${EXPORT_FORMATS.join(', ')}, got "${options.format}"`,
    );
  const snapshot = await openSnapshot(db, campaignId, options.format);
  try {
    return await exportFrom(snapshot.reader, campaignId, options, snapshot);
  } catch (error) {
    throw malformedJsonError(snapshot.reader, campaignId, error);
  } finally {
    snapshot.close();
  }
}

async function exportFrom(
  db: Db,
  campaignId: number,
  options: ExportOptions,
  snapshot: Snapshot,
): Promise<ExportResult> {
  const source = openExportSource(db, campaignId, {
    revealRaters: options.revealRaters,
    fullShown: options.fullShown,
    batchReader: snapshot.batchReader,
    total: snapshot.total,
  });
  const exportedAt = new Date();
  const meter = new ProgressMeter(source.total, options);
  const finalProgress = () => options.onProgress?.(meter.snapshot());
  if (options.format === 'hf') {
    const result = await exportHfFolder(source, options, meter, exportedAt);
    finalProgress();
    return result;
  }
  const target = path.resolve(options.out);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory())
    throw new AppError(
      'invalid_input',
      `--out ${target}: is a folder; give a file path for --format ${options.format}`,
    );
  const data = new AtomicFile(target);
  const manifest = new AtomicFile(`${target}.provenance.json`);
  try {
    // A writer returns its row count when rows are not judgements (Label Studio: tasks; Neuronpedia: explanations).
    const written = await FILE_WRITERS[options.format](source, data, meter);
    meter.finish();
    const rows = typeof written === 'number' ? written : meter.rows;
    const { sha256, bytes } = data.finish();
    const files = [{ path: path.basename(target), rows, bytes, sha256 }];
    manifest.write(
      `${JSON.stringify(buildProvenance(source, { format: options.format, files, exportedAt, judgements: meter.rows }), null, 2)}\n`,
    );
    manifest.finish();
    data.rename();
    manifest.rename();
    finalProgress();
    return { format: options.format, path: target, rows, provenancePath: manifest.target, files };
  } catch (error) {
    data.abort();
    manifest.abort();
    throw error;
  }
}

/** A Hugging Face dataset folder: data/train-00000-of-00001.parquet, README.md (dataset card), provenance.json. */
async function exportHfFolder(
  source: ExportSource,
  options: ExportOptions,
  meter: ProgressMeter,
  exportedAt: Date,
): Promise<ExportResult> {
  const dir = new AtomicDir(options.out);
  try {
    const relative = 'data/train-00000-of-00001.parquet';
    const parquet = new AtomicFile(dir.file(relative));
    let digest: { sha256: string; bytes: number };
    try {
      await writeParquet(source, parquet, meter, { 'sightline.campaign': source.campaign.name });
      meter.finish();
      digest = parquet.commit();
    } catch (error) {
      parquet.abort();
      throw error;
    }
    const { sha256, bytes } = digest;
    const files = [{ path: relative, rows: meter.rows, bytes, sha256 }];
    const provenance = buildProvenance(source, { format: 'hf', files, exportedAt, judgements: meter.rows });
    writeHfCard(source, dir.file('README.md'), { rows: meter.rows, provenance, bootstrap: options.bootstrap });
    fs.writeFileSync(dir.file('provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
    dir.commit();
    return {
      format: 'hf',
      path: dir.target,
      rows: meter.rows,
      provenancePath: path.join(dir.target, 'provenance.json'),
      files,
    };
  } catch (error) {
    dir.abort();
    throw error;
  }
}
