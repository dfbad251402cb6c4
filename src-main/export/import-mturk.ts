// Import of MTurk batch results CSV files, so studies run on MTurk can be analysed here. The reading
// is the MTurk dialect (import/mturk.ts); the writing is the one importer core every results format
// shares (import/core.ts): all in one transaction, so a bad row anywhere leaves the project as it was.
import path from 'node:path';
import type { Db } from '../store/db';
import { writeImportedResults, type ImportResult } from './import/core';
import { readMturkResults } from './import/mturk';

export interface MturkImportOptions {
  campaignName: string;
  file: string;
  /** A built-in template id; inferred from the Answer.* columns when absent. */
  templateId?: string;
}

export type MturkImportResult = ImportResult;

export function importMturkResults(db: Db, options: MturkImportOptions): MturkImportResult {
  return writeImportedResults(db, readMturkResults(path.resolve(options.file)), options);
}
