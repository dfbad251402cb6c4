// Headings for example buckets that say how each was sampled: top activations, or quantile buckets
// drawn under the run's scheme (equal-count like delphi, equal-width like SAEDashboard).
import type { FeatureSampling } from '../../../src-main/contract';

const SCHEME_NAMES: Record<string, string> = {
  'equal-count': 'equal-count bins (delphi)',
  'equal-width': 'equal-width intervals (SAEDashboard)',
};

export const schemeName = (scheme: string | null): string =>
  scheme ? (SCHEME_NAMES[scheme] ?? scheme) : 'scheme not recorded';

export interface BucketLabel {
  title: string;
  /** How the bucket was drawn, or null when there is nothing to add. */
  detail: string | null;
}

export function bucketLabel(bucket: string, sampling: FeatureSampling | null | undefined): BucketLabel {
  if (bucket === 'top') return { title: 'Top activations', detail: 'documents with the highest max activation' };
  const quantile = /^q(\d+)$/.exec(bucket);
  if (!quantile) return { title: bucket, detail: null };
  const index = Number(quantile[1]);
  const of = sampling?.quantiles ? ` of ${sampling.quantiles}` : '';
  const position = index === 1 ? ' (weakest)' : sampling?.quantiles === index ? ' (strongest)' : '';
  return {
    title: `Quantile ${index}${of}${position}`,
    detail: `sampled by activation: ${schemeName(sampling?.scheme ?? null)}`,
  };
}
