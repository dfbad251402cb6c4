import { describe, expect, it } from 'vitest';
import { campaignMonitor } from '../../src-main/domain/monitor';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { insertCampaign } from '../../src-main/store/campaigns';
import { campaignSummary } from '../../src-main/api/campaign-handlers';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

describe('counterbalancing and balance', () => {
  it('option order differs across raters, is recorded with the judgement, and each option lands in each position about equally often', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 1, overlap: 400 });
    const firstPosition: Record<string, number> = {};
    for (let index = 0; index < 400; index++) {
      const rater = makeRater(project, campaignId, `r${index}`);
      const [item] = nextItems(project.db, rater, 1).items;
      const options = item.questions[0].type === 'choice' ? item.questions[0].options : [];
      expect(options.at(-1)!.value).toBe('none'); // the fixed tail stays last
      firstPosition[options[0].value] = (firstPosition[options[0].value] ?? 0) + 1;
      const { judgementId } = submitJudgement(project.db, rater, {
        assignmentId: item.assignmentId,
        answer: { concept: options[0].value },
        activeMs: 1,
      });
      const shown = JSON.parse(
        project.db.prepare('SELECT shown_json FROM judgements WHERE id = ?').pluck().get(judgementId) as string,
      );
      expect(shown.questions[0].options).toEqual(options);
    }
    const counts = Object.values(firstPosition);
    expect(counts).toHaveLength(4);
    // 400 raters over 4 options: 100 expected each; a fair shuffle stays well within ±35.
    for (const count of counts) expect(Math.abs(count - 100)).toBeLessThan(35);
  });

  it('pairwise sides are counterbalanced per rater and recorded', () => {
    const project = makeProject();
    const campaignId = insertCampaign(
      project.db,
      { name: 'ab', template: BUILTIN_TEMPLATES.pairwise, instructions: '', overlap: 200, leaseSeconds: 600, seed: 4 },
      [{ payload: { prompt: 'p', a: 'first', b: 'second', criterion: 'Which is better?' } }],
    );
    let swapped = 0;
    for (let index = 0; index < 200; index++) {
      const rater = makeRater(project, campaignId, `r${index}`);
      const [item] = nextItems(project.db, rater, 1).items;
      // The server swaps the texts itself: the rater gets them in display order (a left, b right) and no flag.
      expect(item).not.toHaveProperty('pairs');
      expect(JSON.stringify(item)).not.toMatch(/swapped/);
      const recorded = JSON.parse(
        project.db.prepare('SELECT shown_json FROM assignments WHERE id = ?').pluck().get(item.assignmentId) as string,
      ).pairs;
      expect(recorded).toHaveLength(1);
      if (recorded[0].swapped) swapped++;
      expect([item.payload.a, item.payload.b]).toEqual(recorded[0].swapped ? ['second', 'first'] : ['first', 'second']);
      // What the rater saw is stored with the judgement: the sides, highlights on/off, truncation.
      const { judgementId } = submitJudgement(project.db, rater, {
        assignmentId: item.assignmentId,
        answer: { preference: 'tie' },
        activeMs: 1,
      });
      const shown = JSON.parse(
        project.db.prepare('SELECT shown_json FROM judgements WHERE id = ?').pluck().get(judgementId) as string,
      );
      expect(shown).toMatchObject({ pairs: recorded, highlights: false, truncated: false });
    }
    expect(Math.abs(swapped - 100)).toBeLessThan(30);
  });

  it('each rater sees each condition about equally often, and the monitor shows the achieved balance', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 42, overlap: 3 }); // conditions k=0..30, 6 items each
    const raters = Array.from({ length: 6 }, (_, index) => makeRater(project, campaignId, `r${index}`));
    for (let round = 0; round < 14; round++) {
      for (const rater of raters) {
        const [item] = nextItems(project.db, rater, 1).items;
        if (item)
          submitJudgement(project.db, rater, {
            assignmentId: item.assignmentId,
            answer: { concept: 'none' },
            activeMs: 10,
          });
      }
    }
    const monitor = campaignMonitor(project.db, campaignId, campaignSummary(project.db, campaignId));
    expect(monitor.balance.conditions).toHaveLength(7);
    for (const rater of monitor.raters) {
      expect(rater.submitted).toBe(14);
      const counts = Object.values(rater.conditions);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(monitor.balance.maxSpread).toBeLessThanOrEqual(1);
  });
  it('item order: fixed follows the file; random is a per-rater order reproducible from the recorded seeds', () => {
    /** The positions one rater is given, answering each, in a fresh project with the given order mode. */
    const orderSeen = (orderMode: 'random' | 'fixed', raterName: string): number[] => {
      const project = makeProject();
      const items = Array.from({ length: 12 }, (_, index) => ({
        payload: { prompt: 'p', a: `a${index}`, b: `b${index}`, criterion: 'Which is better?' },
      }));
      const campaignId = insertCampaign(
        project.db,
        {
          name: 'order',
          template: BUILTIN_TEMPLATES.pairwise,
          instructions: '',
          overlap: 1,
          leaseSeconds: 600,
          seed: 9,
          orderMode,
        },
        items,
      );
      const rater = makeRater(project, campaignId, raterName);
      const positions: number[] = [];
      for (;;) {
        const [item] = nextItems(project.db, rater, 1).items;
        if (!item) return positions;
        positions.push(
          project.db
            .prepare('SELECT i.position FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
            .pluck()
            .get(item.assignmentId) as number,
        );
        submitJudgement(project.db, rater, {
          assignmentId: item.assignmentId,
          answer: { preference: 'tie' },
          activeMs: 1,
        });
      }
    };
    const fixed = orderSeen('fixed', 'ana');
    expect(fixed).toEqual([...fixed].sort((a, b) => a - b));
    expect(fixed).toHaveLength(12);
    const ana = orderSeen('random', 'ana');
    expect([...ana].sort((a, b) => a - b)).toEqual(fixed);
    expect(ana).not.toEqual(fixed);
    // Same campaign seed and rater: the same order again (the seeds are stored with the campaign and rater).
    expect(orderSeen('random', 'ana')).toEqual(ana);
  });
});
