// Pure job bookkeeping for the jobs panel: merging 'job.progress' events into the listed jobs, and
// the rate / ETA text. No polling: jobs.list once, then events.
import type { JobProgressEvent, JobSummary } from '../../../../src-main/contract';

const UNITS: Record<string, string> = { mine: 'tokens', export: 'rows', import: 'rows' };

export const isActive = (job: Pick<JobSummary, 'state'>): boolean => job.state === 'running' || job.state === 'queued';

/**
 * The job list after one progress event: the job's row updated in place (or added at the top when
 * the event is the first news of it). Terminal events end its cancellability.
 */
export function applyProgress(jobs: readonly JobSummary[], event: JobProgressEvent, now = Date.now()): JobSummary[] {
  const index = jobs.findIndex((job) => job.id === event.jobId);
  const previous = index >= 0 ? jobs[index] : undefined;
  const active = event.state === 'running' || event.state === 'queued';
  const updated: JobSummary = {
    id: event.jobId,
    kind: event.kind,
    state: event.state,
    done: event.done,
    total: event.total ?? previous?.total ?? null,
    unit: previous?.unit ?? UNITS[event.kind] ?? 'items',
    ratePerSecond: event.ratePerSecond ?? (active ? (previous?.ratePerSecond ?? null) : null),
    etaSeconds: event.etaSeconds,
    params: previous?.params ?? '',
    error: event.state === 'failed' ? (event.message ?? 'failed') : (previous?.error ?? null),
    message: event.message ?? previous?.message ?? null,
    cancellable: active && (previous?.cancellable ?? true),
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
  if (index < 0) return [updated, ...jobs];
  const next = jobs.slice();
  next[index] = updated;
  return next;
}

/**
 * What a page that started a job shows once its id comes back: events sent before then were not
 * recognised (a short job may even have ended), so the job as jobs.list reads it stands in, unless an
 * event since has told more. null: keep what is shown.
 */
export function catchUpProgress(seen: JobProgressEvent | null, job: JobSummary | undefined): JobProgressEvent | null {
  if (!job || (seen !== null && (!isActive(seen) || isActive(job)))) return null;
  const { id: jobId, kind, state, done, total, ratePerSecond, etaSeconds, error } = job;
  return { jobId, kind, state, done, total, ratePerSecond, etaSeconds, ...(error !== null ? { message: error } : {}) };
}

/** "12,345 tokens/s" (null → "–"). */
export function formatRate(rate: number | null, unit: string): string {
  if (rate === null || !Number.isFinite(rate)) return '–';
  const rounded = rate >= 100 ? Math.round(rate) : Number(rate.toPrecision(2));
  return `${rounded.toLocaleString('en-US')} ${unit}/s`;
}

/** "ETA 42 s", "ETA 3 min 5 s", "ETA 1 h 2 min"; "ETA –" when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'ETA –';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `ETA ${s} s`;
  if (s < 3600) return `ETA ${Math.floor(s / 60)} min ${s % 60} s`;
  return `ETA ${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "1,200 / 48,000 tokens" or "1,200 tokens" while the total is unknown. */
export function doneText(job: Pick<JobSummary, 'done' | 'total' | 'unit'>): string {
  const done = job.done.toLocaleString('en-US');
  return job.total === null ? `${done} ${job.unit}` : `${done} / ${job.total.toLocaleString('en-US')} ${job.unit}`;
}
