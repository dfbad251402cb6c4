import { describe, expect, it } from 'vitest';
import type { JobProgressEvent, JobSummary } from '../../src-main/contract';
import {
  applyProgress,
  catchUpProgress,
  doneText,
  formatEta,
  formatRate,
  isActive,
} from '../../src-renderer/src/researcher/jobs/job-logic';

const listed: JobSummary = {
  id: 7,
  kind: 'mine',
  state: 'running',
  done: 0,
  total: null,
  unit: 'tokens',
  ratePerSecond: null,
  etaSeconds: null,
  params: 'SAE layer10 × corpus demo, top 20, k 64, equal-count',
  error: null,
  message: 'starting',
  cancellable: true,
  createdAt: 1,
  updatedAt: 1,
};
const event = (patch: Partial<JobProgressEvent>): JobProgressEvent => ({
  jobId: 7,
  kind: 'mine',
  state: 'running',
  done: 0,
  total: null,
  ratePerSecond: null,
  etaSeconds: null,
  ...patch,
});

describe('job progress', () => {
  it('merges events into the listed job, keeping its params', () => {
    const [job] = applyProgress([listed], event({ done: 4096, total: 40960, ratePerSecond: 2048, etaSeconds: 18 }), 5);
    expect(job).toMatchObject({
      id: 7,
      done: 4096,
      total: 40960,
      ratePerSecond: 2048,
      etaSeconds: 18,
      params: listed.params,
      message: 'starting',
      cancellable: true,
      updatedAt: 5,
    });
    expect(doneText(job)).toBe('4,096 / 40,960 tokens');
  });

  it('adds a job first heard of by event at the top, and ends cancellability on a final event', () => {
    const other = { ...listed, id: 3, state: 'done' as const, cancellable: false };
    const jobs = applyProgress([other], event({ jobId: 9, kind: 'export', message: 'starting' }), 2);
    expect(jobs.map((job) => [job.id, job.unit])).toEqual([
      [9, 'rows'],
      [3, 'tokens'],
    ]);
    const cancelled = applyProgress(
      [listed],
      event({ state: 'cancelled', done: 100, message: 'cancelled; the project is unchanged' }),
    );
    expect(cancelled[0]).toMatchObject({ state: 'cancelled', cancellable: false, error: null, ratePerSecond: null });
    expect(isActive(cancelled[0])).toBe(false);
    const failed = applyProgress([listed], event({ state: 'failed', message: 'sae_weights.safetensors: changed' }));
    expect(failed[0]).toMatchObject({ state: 'failed', error: 'sae_weights.safetensors: changed' });
  });

  it('formats rate and ETA', () => {
    expect(formatRate(123456.7, 'tokens')).toBe('123,457 tokens/s');
    expect(formatRate(2.345, 'rows')).toBe('2.3 rows/s');
    expect(formatRate(null, 'rows')).toBe('–');
    expect(formatEta(null)).toBe('ETA –');
    expect(formatEta(42.4)).toBe('ETA 42 s');
    expect(formatEta(185)).toBe('ETA 3 min 5 s');
    expect(formatEta(3720)).toBe('ETA 1 h 2 min');
    expect(doneText({ done: 1200, total: null, unit: 'tokens' })).toBe('1,200 tokens');
  });

  it('catches a started job up from jobs.list when its own events came before its id', () => {
    const ended = { ...listed, state: 'done' as const, done: 12, total: 12, etaSeconds: 0 };
    // Nothing heard yet: the list stands in, running or ended.
    expect(catchUpProgress(null, listed)).toEqual(event({}));
    expect(catchUpProgress(null, ended)).toEqual(event({ state: 'done', done: 12, total: 12, etaSeconds: 0 }));
    // Heard it running, the list says it ended: the end is shown.
    expect(catchUpProgress(event({ done: 3 }), ended)?.state).toBe('done');
    // Heard more than the list says, or nothing to read: keep what is shown.
    expect(catchUpProgress(event({ done: 3 }), listed)).toBeNull();
    expect(catchUpProgress(event({ state: 'done', done: 12 }), ended)).toBeNull();
    expect(catchUpProgress(null, undefined)).toBeNull();
    const failed = { ...listed, state: 'failed' as const, error: 'probe: no labels' };
    expect(catchUpProgress(null, failed)).toEqual(event({ state: 'failed', message: 'probe: no labels' }));
  });
});
