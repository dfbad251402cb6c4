import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { asRater, contextFor, makeConceptCampaign, makeProject, makeRater, researcher } from '../helpers/factories';

const answerFirst = (item: { assignmentId: number; questions: any[] }) => ({
  assignmentId: item.assignmentId,
  answer: { concept: item.questions[0].options[0].value },
  activeMs: 100,
});

/** What a rater's calls could change: judgements, flags and the leases. */
const snapshot = (project: ReturnType<typeof makeProject>) => ({
  judgements: project.db.prepare('SELECT COUNT(*) FROM judgements').pluck().get(),
  flags: project.db.prepare('SELECT COUNT(*) FROM flags').pluck().get(),
  assignments: project.db.prepare('SELECT id, status, counted, lease_expires_at FROM assignments ORDER BY id').all(),
});

// Issue 11: a lease taken before the researcher paused or closed the campaign must not keep
// working. Closed means read-only; paused means no new work and no changes.
describe('a paused or closed campaign does not take changes on old leases', () => {
  it('closed: submit, undo, skip and flag are refused and nothing changes', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 4, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [first, second] = nextItems(project.db, ana, 2).items;
    submitJudgement(project.db, ana, answerFirst(first));
    await dispatch('campaigns.setStatus', { campaignId, status: 'closed' }, contextFor(project, researcher));
    const before = snapshot(project);
    const asAna = contextFor(project, asRater(ana));
    for (const [name, input] of [
      ['rater.submit', answerFirst(second)],
      ['rater.undo', {}],
      ['rater.skip', { assignmentId: second.assignmentId }],
      ['rater.flag', { assignmentId: second.assignmentId, comment: 'late' }],
    ] as const) {
      const result = await dispatch(name, input, asAna);
      expect(result, name).toMatchObject({
        ok: false,
        error: { code: 'conflict', message: expect.stringMatching(/closed/) },
      });
    }
    expect(snapshot(project)).toEqual(before);
  });

  it('paused: submit, undo and skip are refused and nothing changes; a flag is still taken', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 4, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [first, second] = nextItems(project.db, ana, 2).items;
    submitJudgement(project.db, ana, answerFirst(first));
    await dispatch('campaigns.setStatus', { campaignId, status: 'paused' }, contextFor(project, researcher));
    const before = snapshot(project);
    const asAna = contextFor(project, asRater(ana));
    for (const [name, input] of [
      ['rater.submit', answerFirst(second)],
      ['rater.undo', {}],
      ['rater.skip', { assignmentId: second.assignmentId }],
    ] as const) {
      const result = await dispatch(name, input, asAna);
      expect(result, name).toMatchObject({
        ok: false,
        error: { code: 'conflict', message: expect.stringMatching(/paused/) },
      });
    }
    expect(snapshot(project)).toEqual(before);
    // A flag is a note to the researcher, not a change to the work: it still reaches them.
    expect(await dispatch('rater.flag', { assignmentId: second.assignmentId, comment: 'odd' }, asAna)).toMatchObject({
      ok: true,
    });

    // Reopened, the same lease works again.
    await dispatch('campaigns.setStatus', { campaignId, status: 'open' }, contextFor(project, researcher));
    expect(await dispatch('rater.submit', answerFirst(second), asAna)).toMatchObject({ ok: true });
    expect(await dispatch('rater.undo', {}, asAna)).toMatchObject({
      ok: true,
      value: { item: { assignmentId: second.assignmentId } },
    });
  });
});
