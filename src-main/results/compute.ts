import type { CampaignResults } from '../contract/results';
import { AppError, type ErrorValue } from '../util/errors';
import { spawnWorker, workerEntry } from '../util/worker-entry';
import type { ResultsOptions } from './report';

/** Computes a campaign's results in a worker thread over its own read-only connection. */
export function computeCampaignResults(
  dbFile: string,
  campaignId: number,
  options: ResultsOptions,
): Promise<CampaignResults> {
  const worker = spawnWorker(workerEntry('results-worker.cjs', 'results/worker.ts'), { dbFile, campaignId, options });
  return new Promise((resolve, reject) => {
    worker.once('message', (message: { ok: true; value: CampaignResults } | { ok: false; error: ErrorValue }) => {
      if (message.ok) resolve(message.value);
      else reject(new AppError(message.error.code, message.error.message, message.error.details));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once(
      'exit',
      (code) => code !== 0 && reject(new AppError('internal', `results worker exited with code ${code}`)),
    );
  });
}
