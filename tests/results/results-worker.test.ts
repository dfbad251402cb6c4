import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { campaignResults } from '../../src-main/results/report';
import { contextFor, makeConceptCampaign, makeProject, makeRater, researcher } from '../helpers/factories';

describe('results over the API', () => {
  it('are computed in a worker thread and equal the in-process report', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 6, overlap: 3 });
    for (const name of ['ana', 'ben', 'cy']) {
      const rater = makeRater(project, campaignId, name);
      for (;;) {
        const [item] = nextItems(project.db, rater, 1).items;
        if (!item) break;
        const options = item.questions[0].type === 'choice' ? item.questions[0].options : [];
        submitJudgement(project.db, rater, {
          assignmentId: item.assignmentId,
          answer: { concept: name === 'cy' ? options[0].value : 'none' },
          activeMs: 900,
        });
      }
    }
    const viaApi = await dispatch(
      'results.campaign',
      { campaignId, bootstrapSeed: 3, bootstrapReplicates: 200 },
      contextFor(project, researcher),
    );
    expect(viaApi.ok).toBe(true);
    const direct = campaignResults(project.db, campaignId, { bootstrap: { seed: 3, replicates: 200 } });
    expect((viaApi as { value: unknown }).value).toEqual(JSON.parse(JSON.stringify(direct)));
    const missing = await dispatch('results.campaign', { campaignId: 999 }, contextFor(project, researcher));
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
