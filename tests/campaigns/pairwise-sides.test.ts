import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';
import { createDemoProject } from '../../src-main/demo/create';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { openProject } from '../../src-main/project/project';
import { campaignResults } from '../../src-main/results/report';
import { asRater, contextFor, makeRater, tempDir } from '../helpers/factories';

describe('pairwise A/B from generations', () => {
  const dir = path.join(tempDir(), 'demo.sightline');
  // The demo (capture, probe, sweeps) is set-up, under the hooks' longer timeout.
  beforeAll(() => createDemoProject(dir));

  it('the rater gets the texts in display order with no flag, and answers map back to steered / default', async () => {
    const project = openProject(dir);
    try {
      const { campaignId } = createCampaign(project.db, {
        name: 'ab sides',
        template: 'pairwise',
        instructions: '',
        settings: campaignSettingsSchema.parse({ overlap: 3, seed: 5 }),
        source: { kind: 'generations' },
      });
      // Items pair the k=0 answer (field a) with a steered one (field b) for the same class pair and
      // picture, in template order. The demo model's answer steered towards a class is that class's own
      // k=0 answer, so a text alone does not say whether it was steered; this rater is told which text
      // is the item's k=0 one (its stored field a), and the display order is what is under test.
      const sidesSeen = { left: 0, right: 0 };
      for (let index = 0; index < 3; index++) {
        const rater = makeRater(project, campaignId, `r${index}`);
        const context = contextFor(project, asRater(rater));
        for (;;) {
          const next = (await dispatch('rater.next', { count: 1 }, context)) as { ok: true; value: { items: any[] } };
          const [item] = next.value.items;
          if (!item) break;
          const text = JSON.stringify(item);
          expect(text).not.toMatch(/swapped|"pairs"|k=/);
          const { a: left, b: right } = item.payload as { a: string; b: string };
          const stored = JSON.parse(
            project.db
              .prepare('SELECT i.payload_json FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
              .pluck()
              .get(item.assignmentId) as string,
          );
          // A rater who always prefers the steered text, whichever side it is on (a tie when they read the same).
          const isDefault = (answer: string) => answer === stored.a;
          let preference = 'tie';
          if (isDefault(left) !== isDefault(right)) preference = isDefault(left) ? 'right' : 'left';
          if (preference !== 'tie') sidesSeen[preference as 'left' | 'right']++;
          const recorded = JSON.parse(
            project.db
              .prepare('SELECT shown_json FROM assignments WHERE id = ?')
              .pluck()
              .get(item.assignmentId) as string,
          ).pairs[0];
          expect([left, right]).toEqual(recorded.swapped ? [stored.b, stored.a] : [stored.a, stored.b]);
          const submitted = await dispatch(
            'rater.submit',
            { assignmentId: item.assignmentId, answer: { preference }, activeMs: 5 },
            context,
          );
          expect(submitted).toMatchObject({ ok: true });
        }
      }
      // Steered text was on the left for some items and on the right for others…
      expect(sidesSeen.left).toBeGreaterThan(0);
      expect(sidesSeen.right).toBeGreaterThan(0);
      // …yet every decided item's label is field b, the steered answer (hidden.b names its k).
      const results = campaignResults(project.db, campaignId, { bootstrap: { replicates: 10 } });
      const decided = results.labels.filter((label) => label.questionId === 'preference' && label.majority !== 'tie');
      expect(decided.length).toBeGreaterThan(0);
      expect(new Set(decided.map((label) => label.majority))).toEqual(new Set(['b']));
    } finally {
      project.close();
    }
  });
});
