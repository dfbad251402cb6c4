import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { asRater, contextFor, makeConceptCampaign, makeProject, makeRater, researcher } from '../helpers/factories';

const answerFirst = (item: { assignmentId: number; questions: any[] }) => ({
  assignmentId: item.assignmentId,
  answer: { concept: item.questions[0].options[0].value },
  activeMs: 100,
});

// "All done" and the completion code belong to a rater who is really done, not to one who finds
// the campaign paused or every remaining item leased to someone else for now.
describe('rater.next says why there are no items', () => {
  it('a paused or closed campaign is a wait, not the end', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const asResearcher = contextFor(project, researcher);
    expect(await dispatch('campaigns.setStatus', { campaignId, status: 'paused' }, asResearcher)).toMatchObject({
      ok: true,
    });
    const paused = await dispatch('rater.next', { count: 2 }, contextFor(project, asRater(ana)));
    // Exactly these keys: the reason carries nothing hidden.
    expect(paused).toEqual({ ok: true, value: { items: [], progress: { submitted: 0, total: 2 }, waiting: 'paused' } });
    await dispatch('campaigns.setStatus', { campaignId, status: 'closed' }, asResearcher);
    expect(nextItems(project.db, ana, 2)).toMatchObject({ items: [], waiting: 'closed' });
    await dispatch('campaigns.setStatus', { campaignId, status: 'open' }, asResearcher);
    expect(nextItems(project.db, ana, 2)).toMatchObject({
      items: [expect.anything(), expect.anything()],
      waiting: null,
    });
  });

  it('a rater who has answered everything is done even when the campaign is then paused or closed', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    for (const item of nextItems(project.db, ana, 2).items) submitJudgement(project.db, ana, answerFirst(item));
    const asResearcher = contextFor(project, researcher);
    for (const status of ['paused', 'closed'] as const) {
      await dispatch('campaigns.setStatus', { campaignId, status }, asResearcher);
      expect(nextItems(project.db, ana, 2), status).toEqual({
        items: [],
        progress: { submitted: 2, total: 2 },
        waiting: null,
      });
    }
  });

  it('items leased to other raters are a wait; once they are answered the rater is done', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const ben = makeRater(project, campaignId, 'ben');
    const held = nextItems(project.db, ana, 2).items;
    expect(held).toHaveLength(2);
    expect(nextItems(project.db, ben, 2)).toMatchObject({ items: [], waiting: 'leased' });
    // Ana answers one: the other is still hers, so Ben still waits.
    submitJudgement(project.db, ana, answerFirst(held[0]));
    expect(nextItems(project.db, ben, 2)).toMatchObject({ items: [], waiting: 'leased' });
    submitJudgement(project.db, ana, answerFirst(held[1]));
    expect(nextItems(project.db, ben, 2)).toEqual({ items: [], progress: { submitted: 0, total: 0 }, waiting: null });
    expect(nextItems(project.db, ana, 2)).toEqual({ items: [], progress: { submitted: 2, total: 2 }, waiting: null });
  });

  it('a rater at their item limit is done even while others hold leases', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 3, overlap: 1, maxItemsPerRater: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const ben = makeRater(project, campaignId, 'ben');
    const [item] = nextItems(project.db, ana, 1).items;
    nextItems(project.db, ben, 1);
    submitJudgement(project.db, ana, answerFirst(item));
    expect(nextItems(project.db, ana, 2)).toMatchObject({ items: [], waiting: null });
  });
});
