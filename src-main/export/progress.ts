// Progress for long exports and imports: rows done / total, rate and ETA, reported at most once a
// second so a million-row export prints a handful of lines, not a million.
import { AppError } from '../util/errors';

export interface ExportProgress {
  done: number;
  total: number;
  ratePerSecond: number;
  etaSeconds: number | null;
}

export interface ProgressOptions {
  onProgress?: (progress: ExportProgress) => void;
  /** Polled every few thousand rows; returning true aborts the export and removes its temp output. */
  isCancelled?: () => boolean;
}

const CHECK_EVERY = 4096;

export class ProgressMeter {
  private done = 0;
  private readonly started = performance.now();
  private lastReport = this.started;

  constructor(
    private readonly total: number,
    private readonly options: ProgressOptions,
    private readonly intervalMs = 1000,
  ) {}

  /** Counts one row; every CHECK_EVERY rows checks for cancel and maybe reports. */
  tick(): void {
    this.done++;
    if ((this.done & (CHECK_EVERY - 1)) === 0) this.check();
  }

  /** After the last row, before anything is renamed into place: a cancel that came late still cancels. */
  finish(): void {
    this.check();
  }

  private check(): void {
    if (this.options.isCancelled?.()) throw new AppError('cancelled', `export cancelled after ${this.done} of ${this.total} rows; nothing was written`);
    const now = performance.now();
    if (this.options.onProgress && now - this.lastReport >= this.intervalMs) {
      this.lastReport = now;
      this.options.onProgress(this.snapshot(now));
    }
  }

  snapshot(now = performance.now()): ExportProgress {
    const seconds = Math.max((now - this.started) / 1000, 1e-9);
    const ratePerSecond = this.done / seconds;
    const etaSeconds = ratePerSecond > 0 ? Math.max(0, (this.total - this.done) / ratePerSecond) : null;
    return { done: this.done, total: this.total, ratePerSecond, etaSeconds };
  }

  get rows(): number {
    return this.done;
  }
}

/** "250,000 / 1,000,000 rows (25%), 310,000 rows/s, ETA 2s" */
export function formatProgress(progress: ExportProgress): string {
  const percent = progress.total > 0 ? Math.floor((100 * progress.done) / progress.total) : 100;
  const eta = progress.etaSeconds === null ? '' : `, ETA ${Math.ceil(progress.etaSeconds)}s`;
  return `${progress.done.toLocaleString('en-US')} / ${progress.total.toLocaleString('en-US')} rows (${percent}%), ${Math.round(progress.ratePerSecond).toLocaleString('en-US')} rows/s${eta}`;
}
