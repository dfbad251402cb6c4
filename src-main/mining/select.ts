// From the accumulators to what the features and examples tables hold: statistics, the histogram,
// modality, and the chosen examples (top documents, then quantile buckets sampled from the bins).
import type { Modality } from '../contract/types';
import { type FeatureAccumulators, HIST_BINS, RESERVOIR } from './accumulators';

export type QuantileScheme = 'equal-count' | 'equal-width';

export interface SelectSettings {
  scheme: QuantileScheme;
  quantiles: number;
  perQuantile: number;
  /** a feature is image-only (text-only) when at least this share of its firings are on image patches (text tokens) */
  modalityShare: number;
}

export const DEFAULT_SELECT: Omit<SelectSettings, 'scheme'> = { quantiles: 4, perQuantile: 3, modalityShare: 0.9 };

export interface ChosenExample {
  feature: number;
  doc: number;
  bucket: string;
  rank: number;
}

export function modalityOf(imageCount: number, textCount: number, share: number): Modality {
  const fired = imageCount + textCount;
  if (fired === 0) return 'dead';
  if (imageCount >= share * fired) return 'image';
  if (textCount >= share * fired) return 'text';
  return 'shared';
}

export function histogramOf(acc: FeatureAccumulators, f: number): { edges: number[]; counts: number[] } {
  const w = acc.width[f];
  if (w === 0) return { edges: [], counts: [] };
  const used = usedBins(acc, f);
  const edges = Array.from({ length: used + 1 }, (_, i) => i * w);
  const counts = Array.from(acc.hist.subarray(f * HIST_BINS, f * HIST_BINS + used));
  return { edges, counts };
}

/** Bins up to the one holding the max: the rest are empty by construction. */
function usedBins(acc: FeatureAccumulators, f: number): number {
  return Math.max(1, Math.min(HIST_BINS, Math.floor(acc.max[f] / acc.width[f]) + 1));
}

/**
 * The quantile bucket of a sample of feature f: `bin`, its value, and `rank` (0..1: its place among
 * the bin's kept samples by value, which are a uniform sample of the bin's firings). Equal-count
 * (delphi): where the sample falls among the feature's binned firings, the bin's own firings placed
 * by rank, so a bin that holds most firings serves every bucket it spans. Equal-width
 * (SAEDashboard): where the value falls in [0, the used bins' range).
 */
function bucketer(
  acc: FeatureAccumulators,
  f: number,
  s: SelectSettings,
): (bin: number, value: number, rank: number) => number {
  const used = usedBins(acc, f);
  const last = s.quantiles - 1;
  if (s.scheme === 'equal-width') {
    const range = used * acc.width[f];
    return (_bin, value) => Math.min(last, Math.floor((value / range) * s.quantiles));
  }
  const counts = acc.hist.subarray(f * HIST_BINS, f * HIST_BINS + used);
  // The total is the histogram's (each token's top k), not fires[f], which also counts firings past the top k.
  const before = new Float64Array(used + 1);
  for (let b = 0; b < used; b++) before[b + 1] = before[b] + counts[b];
  const total = before[used];
  return (bin, _value, rank) => Math.min(last, Math.floor(((before[bin] + rank * counts[bin]) / total) * s.quantiles));
}

export function chooseExamples(acc: FeatureAccumulators, f: number, s: SelectSettings): ChosenExample[] {
  const out: ChosenExample[] = [];
  const taken = new Set<number>();
  const size = acc.topSize[f];
  const top = Array.from({ length: size }, (_, i) => ({
    doc: acc.topDoc[f * acc.top + i],
    value: acc.topVal[f * acc.top + i],
  })).sort((a, b) => b.value - a.value || a.doc - b.doc);
  top.forEach((t, rank) => {
    out.push({ feature: f, doc: t.doc, bucket: 'top', rank });
    taken.add(t.doc);
  });
  // No binned firing (none ever in a token's top k, though the engine counted some): nothing to sample.
  if (acc.width[f] === 0) return out;
  const bucketOf = bucketer(acc, f, s);
  // Samples of bin b stand for hist[b] firings each shared among its kept samples: weighted
  // sampling without replacement (Efraimidis-Spirakis) with the samples' own uniform keys.
  const candidates: { doc: number; bucket: number; priority: number }[] = [];
  for (let b = 0, used = usedBins(acc, f); b < used; b++) {
    const bin = f * HIST_BINS + b;
    const slots: number[] = [];
    for (let i = bin * RESERVOIR; i < (bin + 1) * RESERVOIR; i++) if (acc.resDoc[i] >= 0) slots.push(i);
    const weight = acc.hist[bin] / Math.max(1, slots.length);
    slots.sort((x, y) => acc.resVal[x] - acc.resVal[y] || acc.resKey[x] - acc.resKey[y]);
    slots.forEach((i, j) => {
      const u = (acc.resKey[i] + 0.5) / 4294967296;
      candidates.push({
        doc: acc.resDoc[i],
        bucket: bucketOf(b, acc.resVal[i], (j + 0.5) / slots.length),
        priority: -Math.log(u) / weight,
      });
    });
  }
  candidates.sort((a, b) => a.priority - b.priority || a.doc - b.doc);
  const filled = new Array<number>(s.quantiles).fill(0);
  for (const c of candidates) {
    if (filled[c.bucket] >= s.perQuantile || taken.has(c.doc)) continue;
    out.push({ feature: f, doc: c.doc, bucket: `q${c.bucket + 1}`, rank: filled[c.bucket]++ });
    taken.add(c.doc);
  }
  return out;
}
