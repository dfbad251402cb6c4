// Progress for long exports and imports: rows done / total, rate and ETA, reported at most once a
// second so a million-row export prints a handful of lines, not a million. The meter also hands
// the event loop back every ~20 ms (see pause): an export runs as a job inside the server, and a
// cancel request, SSE progress events and raters' submissions must get through while it runs.
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
  /** Minimum time between onProgress calls (default 1000 ms). */
  progressIntervalMs?: number;
}

const CHECK_EVERY = 4096;
const YIELD_EVERY_MS = 20;

export class ProgressMeter {
  private done = 0;
  private nextCheck = CHECK_EVERY;
  private readonly started = performance.now();
  private lastReport = this.started;
  private lastYield = this.started;
  private readonly intervalMs: number;

  constructor(
    private readonly total: number,
    private readonly options: ProgressOptions,
  ) {
    this.intervalMs = options.progressIntervalMs ?? 1000;
  }

  /**
   * Counts one row; every CHECK_EVERY rows checks for cancel and maybe reports. Returns true when
   * the writer should `await meter.pause()` (it has held the event loop for ~20 ms).
   */
  tick(): boolean {
    this.done++;
    if (this.done < this.nextCheck) return false;
    this.nextCheck = this.done + CHECK_EVERY;
    this.check();
    return performance.now() - this.lastYield >= YIELD_EVERY_MS;
  }

  /** Counts a batch of rows (writers that get many rows per SQLite call), then checks and yields. */
  async advance(rows: number): Promise<void> {
    this.done += rows;
    this.check();
    if (performance.now() - this.lastYield >= YIELD_EVERY_MS) await this.pause();
  }

  /**
   * Counts rows that a writer off this thread asked for (the columnar engine), then checks for
   * cancel (throws) and maybe reports. No yield needed: the engine's callbacks are separate turns
   * of the event loop.
   */
  record(rows: number): void {
    this.done += rows;
    this.check();
  }

  /** Lets timers, I/O and other requests run, then checks for a cancel that arrived meanwhile. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
    this.check();
  }

  /** After the last row, before anything is renamed into place: a cancel that came late still cancels. */
  finish(): void {
    this.check();
  }

  private check(): void {
    if (this.options.isCancelled?.())
      throw new AppError('cancelled', `export cancelled after ${this.done} of ${this.total} rows; nothing was written`);
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
