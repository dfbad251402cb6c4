// Choosing quantile examples from the accumulators when the exact fire count is larger than what the
// histogram saw (firings past each token's top k are counted by the engine but not binned).
import { describe, expect, it } from 'vitest';
import { FeatureAccumulators } from '../../src-main/mining/accumulators';
import { chooseExamples, DEFAULT_SELECT } from '../../src-main/mining/select';

describe('quantile examples', () => {
  it('spread equal-count buckets over the histogram even when fire counts include unbinned firings', () => {
    const acc = new FeatureAccumulators(1, 3);
    // 40 binned firings, values 1..40 in 40 documents, counted by the engine along with 360 more.
    for (let v = 1; v <= 40; v++) acc.addFiring(0, v, v, false, v, true);
    acc.fires[0] = 400;
    const chosen = chooseExamples(acc, 0, { scheme: 'equal-count', ...DEFAULT_SELECT });
    const buckets = new Map<string, number>();
    for (const c of chosen) buckets.set(c.bucket, (buckets.get(c.bucket) ?? 0) + 1);
    expect(Object.fromEntries(buckets)).toEqual({ top: 3, q1: 3, q2: 3, q3: 3, q4: 3 });
    // The lowest quantile's documents are low-valued, the highest's high (below the top 3).
    const docsOf = (bucket: string) => chosen.filter((c) => c.bucket === bucket).map((c) => c.doc);
    expect(Math.max(...docsOf('q1'))).toBeLessThanOrEqual(12);
    expect(Math.min(...docsOf('q4'))).toBeGreaterThanOrEqual(28);
  });

  it('let one bin that holds most firings serve every equal-count bucket it spans', () => {
    const acc = new FeatureAccumulators(1, 3);
    // 96 weak firings (0.30-0.39, all in bin 0 once the width reaches 1) and four strong ones.
    for (let i = 0; i < 96; i++) acc.addFiring(0, 0.3 + (i % 10) / 100, 100 + i, false, i);
    for (const [i, v] of [8, 11, 14, 17].entries()) acc.addFiring(0, v, i + 1, false, 200 + i);
    expect(acc.width[0]).toBe(1);
    const chosen = chooseExamples(acc, 0, { scheme: 'equal-count', ...DEFAULT_SELECT });
    const buckets = new Set(chosen.map((c) => c.bucket));
    // Bin 0 is 96% of the firings: q1, q2 and q3 lie inside it, and each gets one of its samples.
    for (const q of ['q1', 'q2', 'q3']) expect(buckets.has(q), q).toBe(true);
    expect(chosen.filter((c) => c.bucket === 'top').map((c) => c.doc)).toEqual([4, 3, 2]);
  });

  it("choose nothing for a feature the engine counted but that never reached a token's top k", () => {
    const acc = new FeatureAccumulators(1, 3);
    acc.fires[0] = 7;
    acc.imageFires[0] = 7;
    expect(chooseExamples(acc, 0, { scheme: 'equal-count', ...DEFAULT_SELECT })).toEqual([]);
    expect(chooseExamples(acc, 0, { scheme: 'equal-width', ...DEFAULT_SELECT })).toEqual([]);
  });
});
