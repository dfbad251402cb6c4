import { describe, expect, it } from 'vitest';
import type { FeatureSampling } from '../../src-main/contract';
import { bucketLabel, schemeName } from '../../src-renderer/src/examples/bucket-label';

const sampling = (scheme: string | null): FeatureSampling => ({
  scheme,
  quantiles: 4,
  perQuantile: 3,
  modalityShare: 0.9,
  histogram: null,
  sampling: null,
  corpus: null,
  provider: null,
  providerReason: null,
  tokenCount: 10,
});

describe('bucket labels', () => {
  it('names top and quantile buckets with the sampling scheme', () => {
    expect(bucketLabel('top', sampling('equal-count')).title).toBe('Top activations');
    expect(bucketLabel('q1', sampling('equal-count'))).toEqual({
      title: 'Quantile 1 of 4 (weakest)',
      detail: 'sampled by activation: equal-count bins (delphi)',
    });
    expect(bucketLabel('q4', sampling('equal-width'))).toEqual({
      title: 'Quantile 4 of 4 (strongest)',
      detail: 'sampled by activation: equal-width intervals (SAEDashboard)',
    });
    expect(bucketLabel('q2', null)).toEqual({
      title: 'Quantile 2',
      detail: 'sampled by activation: scheme not recorded',
    });
    expect(bucketLabel('random', sampling('x'))).toEqual({ title: 'random', detail: null });
    expect(schemeName('custom')).toBe('custom');
  });
});
