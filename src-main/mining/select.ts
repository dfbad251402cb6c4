// From the accumulators to what the features and examples tables hold: statistics, the histogram,
// modality, and the chosen examples (top documents, then quantile buckets sampled from the bins).
import type { Modality } from '../contract/types';
import { FeatureAccumulators, HIST_BINS, RESERVOIR } from './accumulators';

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

/** Which quantile bucket each used bin belongs to. */
function bucketOfBins(acc: FeatureAccumulators, f: number, s: SelectSettings): number[] {
  const used = usedBins(acc, f);
  const counts = acc.hist.subarray(f * HIST_BINS, f * HIST_BINS + used);
  if (s.scheme === 'equal-width') return Array.from({ length: used }, (_, b) => Math.min(s.quantiles - 1, Math.floor((b * s.quantiles) / used)));
  // equal-count (delphi): a bin goes to the bucket its middle firing falls in.
  const total = acc.fires[f];
  let before = 0;
  return Array.from(counts, (c) => {
    const mid = (before + c / 2) / total;
    before += c;
    return Math.min(s.quantiles - 1, Math.floor(mid * s.quantiles));
  });
}

export function chooseExamples(acc: FeatureAccumulators, f: number, s: SelectSettings): ChosenExample[] {
  const out: ChosenExample[] = [];
  const taken = new Set<number>();
  const size = acc.topSize[f];
  const top = Array.from({ length: size }, (_, i) => ({ doc: acc.topDoc[f * acc.top + i], value: acc.topVal[f * acc.top + i] })).sort(
    (a, b) => b.value - a.value || a.doc - b.doc,
  );
  top.forEach((t, rank) => {
    out.push({ feature: f, doc: t.doc, bucket: 'top', rank });
    taken.add(t.doc);
  });
  if (acc.fires[f] === 0) return out;
  const bucketOf = bucketOfBins(acc, f, s);
  // Samples of bin b stand for hist[b] firings each shared among its kept samples: weighted
  // sampling without replacement (Efraimidis-Spirakis) with the samples' own uniform keys.
  const candidates: { doc: number; bucket: number; priority: number }[] = [];
  bucketOf.forEach((bucket, b) => {
    const bin = f * HIST_BINS + b;
    let kept = 0;
    for (let i = bin * RESERVOIR; i < (bin + 1) * RESERVOIR; i++) if (acc.resDoc[i] >= 0) kept++;
    const weight = acc.hist[bin] / Math.max(1, kept);
    for (let i = bin * RESERVOIR; i < (bin + 1) * RESERVOIR; i++) {
      if (acc.resDoc[i] < 0) continue;
      const u = (acc.resKey[i] + 0.5) / 4294967296;
      candidates.push({ doc: acc.resDoc[i], bucket, priority: -Math.log(u) / weight });
    }
  });
  candidates.sort((a, b) => a.priority - b.priority || a.doc - b.doc);
  const filled = new Array<number>(s.quantiles).fill(0);
  for (const c of candidates) {
    if (filled[c.bucket] >= s.perQuantile || taken.has(c.doc)) continue;
    out.push({ feature: f, doc: c.doc, bucket: `q${c.bucket + 1}`, rank: filled[c.bucket]++ });
    taken.add(c.doc);
  }
  return out;
}
