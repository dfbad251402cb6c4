// Worker thread that computes a campaign's results (bootstrap intervals and Dawid–Skene can take
// tens of seconds on large campaigns) on its own read-only connection, so the server keeps
// answering raters meanwhile.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorValue } from '../util/errors';
import { campaignResults, type ResultsOptions } from './report';

interface ResultsJob {
  dbFile: string;
  campaignId: number;
  options: ResultsOptions;
}

const { dbFile, campaignId, options } = workerData as ResultsJob;
const db = new Database(dbFile, { readonly: true, fileMustExist: true });
try {
  parentPort!.postMessage({ ok: true, value: campaignResults(db, campaignId, options) });
} catch (error) {
  parentPort!.postMessage({ ok: false, error: toErrorValue(error) });
} finally {
  db.close();
}
