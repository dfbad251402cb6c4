import { describe, expect, it } from 'vitest';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { formatResults } from '../../src-main/results/format-table';
import { meanInterval, tCritical95 } from '../../src-main/results/mean-interval';
import { campaignResults } from '../../src-main/results/report';
import { wilsonInterval } from '../../src-main/results/wilson';
import { insertCampaign } from '../../src-main/store/campaigns';
import { makeProject, makeRater } from '../helpers/factories';

describe('Student-t interval for a mean', () => {
  it('uses the published two-sided 95% critical values (df 1, 4, 30 from the table; 40, 60, 120 from the expansion)', () => {
    expect(tCritical95(1)).toBe(12.706);
    expect(tCritical95(4)).toBe(2.776);
    expect(tCritical95(30)).toBe(2.042);
    expect(tCritical95(40)).toBeCloseTo(2.021, 3);
    expect(tCritical95(60)).toBeCloseTo(2.0, 3);
    expect(tCritical95(120)).toBeCloseTo(1.98, 3);
    expect(() => tCritical95(0)).toThrow(/positive integer/);
  });

  it('gives 3 ± 2.776·sqrt(2.5)/sqrt(5) for 1..5, no bounds for one answer, null for none', () => {
    const [n, sum, squares] = [5, 1 + 2 + 3 + 4 + 5, 1 + 4 + 9 + 16 + 25];
    const interval = meanInterval(n, sum, squares)!;
    expect(interval.mean).toBe(3);
    expect(interval.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(interval.lower).toBeCloseTo(1.037072, 5);
    expect(interval.upper).toBeCloseTo(4.962928, 5);
    expect(meanInterval(1, 4, 16)).toEqual({ n: 1, mean: 4, sd: null, lower: null, upper: null });
    expect(meanInterval(0, 0, 0)).toBeNull();
  });
});

describe('Wilson interval at the edges', () => {
  it('is exactly [0, upper] at 0 successes and [lower, 1] at n, for every n (0 of 3 used to give 5.6e-17)', () => {
    for (let n = 1; n <= 50; n++) {
      expect(wilsonInterval(0, n).lower).toBe(0);
      expect(wilsonInterval(n, n).upper).toBe(1);
    }
    // Published: 0 of 3 gives [0, 0.5615]; 3 of 3 gives [0.4385, 1].
    expect(wilsonInterval(0, 3).upper).toBeCloseTo(0.5615, 4);
    expect(wilsonInterval(3, 3).lower).toBeCloseTo(0.4385, 4);
  });
});

describe('steering results of a relatedness campaign', () => {
  // Two steered answers (layer 20, goldfish → volcano) at k = 0 and k = 10, rated by three raters:
  //   k = 0:  relatedness 0, 0.25, incoherent   coherence 5, 4, 3
  //   k = 10: relatedness 1, 0.75, 0.5          coherence 2, 3, 4
  // Success (relatedness >= 0.5): 0 / 3 and 3 / 3; Wilson upper bound for 0 / 3 is z²/(3 + z²) = 0.5615.
  // Relatedness means over numeric answers: k = 0: 0.125 (n 2, sd 0.17678, ± 12.706·0.125 = 1.58825);
  //   k = 10: 0.75 (n 3, sd 0.25, ± 4.303·0.25/√3 = 0.62109).
  // Coherence: k = 0: 4 ± 4.303/√3 = 2.48434; k = 10: 3 ± 2.48434.
  const answers: Record<number, { relatedness: string; coherence: number }[]> = {
    0: [
      { relatedness: '0', coherence: 5 },
      { relatedness: '0.25', coherence: 4 },
      { relatedness: 'incoherent', coherence: 3 },
    ],
    10: [
      { relatedness: '1', coherence: 2 },
      { relatedness: '0.75', coherence: 3 },
      { relatedness: '0.5', coherence: 4 },
    ],
  };

  function build() {
    const project = makeProject();
    const items = [0, 10].map((k) => ({
      payload: { concept: 'volcano', answer: k === 0 ? 'A goldfish in a bowl.' : 'Lava flows down the mountain.' },
      hidden: { source_class: 'goldfish', target_class: 'volcano', correct: 'volcano', k, layer: 20 },
      condition: `k=${k}`,
    }));
    const campaignId = insertCampaign(
      project.db,
      {
        name: 'relatedness',
        template: BUILTIN_TEMPLATES['concept-relatedness'],
        instructions: 'Rate.',
        overlap: 3,
        leaseSeconds: 600,
        seed: 5,
      },
      items,
    );
    ['ana', 'ben', 'cai'].forEach((name, raterIndex) => {
      const rater = makeRater(project, campaignId, name);
      for (;;) {
        const [item] = nextItems(project.db, rater, 1).items;
        if (!item) break;
        const hidden = project.db
          .prepare('SELECT i.hidden_json FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
          .pluck()
          .get(item.assignmentId) as string;
        const { k } = JSON.parse(hidden) as { k: number };
        submitJudgement(project.db, rater, {
          assignmentId: item.assignmentId,
          answer: answers[k][raterIndex],
          activeMs: 4000,
        });
      }
    });
    return campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } });
  }

  it('counts success as relatedness >= 0.5 to the target and gives mean relatedness and coherence with t intervals, per layer and per class pair', () => {
    const steering = build().steering!;
    expect(steering.questionId).toBe('relatedness');
    expect(steering.success).toMatch(/^answer\.relatedness >= 0\.5/);
    // Each numeric question's whole range, for the plots' fixed axes: not the 2–5 that was answered.
    expect(steering.scaleRanges).toEqual({ relatedness: [0, 1], coherence: [1, 5] });
    expect(steering.byLayer).toHaveLength(1);
    expect(steering.byClassPair.map((curve) => [curve.layer, curve.sourceClass, curve.targetClass])).toEqual([
      [20, 'goldfish', 'volcano'],
    ]);
    const [zero, ten] = steering.byLayer[0].points;
    expect([zero.k, zero.successes, zero.n, ten.k, ten.successes, ten.n]).toEqual([0, 0, 3, 10, 3, 3]);
    expect(zero.upper).toBeCloseTo(0.5615, 4);
    expect(zero.scales.relatedness).toMatchObject({ n: 2, mean: 0.125 });
    expect(zero.scales.relatedness!.lower).toBeCloseTo(0.125 - 1.58825, 4);
    expect(zero.scales.relatedness!.upper).toBeCloseTo(0.125 + 1.58825, 4);
    expect(ten.scales.relatedness).toMatchObject({ n: 3, mean: 0.75 });
    expect(ten.scales.relatedness!.lower).toBeCloseTo(0.75 - 0.62109, 4);
    expect(zero.scales.coherence).toMatchObject({ n: 3, mean: 4 });
    expect(zero.scales.coherence!.lower).toBeCloseTo(4 - 2.48434, 4);
    expect(ten.scales.coherence!.upper).toBeCloseTo(3 + 2.48434, 4);
    expect(steering.byClassPair[0].points).toEqual(steering.byLayer[0].points);
  });

  it('prints the means with their intervals in the CLI table', () => {
    const text = formatResults(build());
    expect(text).toContain('mean relatedness [95% CI]');
    expect(text).toContain('mean coherence [95% CI]');
    expect(text).toContain('4.00 [1.52, 6.48]');
  });
});
