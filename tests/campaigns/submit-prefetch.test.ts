// rater.submit with `prefetch` (issue 12, bench:rate): the rater's next items come back with the
// submit's answer, leased in the same transaction as the judgement, instead of a second call.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { contract } from '../../src-main/contract';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { TEST_EPOCH_MS } from '../helpers/clock';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

const firstOption = (item: { questions: any[] }) => ({ concept: item.questions[0].options[0].value });

/** What another connection sees on disk: only committed rows. */
function committed(file: string) {
  const reader = new Database(file, { readonly: true });
  try {
    return {
      judgements: reader.prepare("SELECT assignment_id FROM judgements WHERE action = 'submit'").pluck().all(),
      leased: reader.prepare("SELECT id FROM assignments WHERE status = 'leased' ORDER BY id").pluck().all(),
    };
  } finally {
    reader.close();
  }
}

describe('rater.submit with prefetch', () => {
  it('returns what rater.next would give after the submit, committed together with the judgement', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 5, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [shown, queued] = nextItems(project.db, ana, 2, TEST_EPOCH_MS).items;
    const result = submitJudgement(
      project.db,
      ana,
      { assignmentId: shown.assignmentId, answer: firstOption(shown), activeMs: 100, prefetch: 2 },
      TEST_EPOCH_MS + 1_000,
    );
    const next = result.next!;
    // The queued item stays first; one more is leased behind it.
    expect(next.items.map((item) => item.assignmentId)[0]).toBe(queued.assignmentId);
    expect(next.items).toHaveLength(2);
    expect(next.items[1].assignmentId).not.toBe(shown.assignmentId);
    expect(next.waiting).toBeNull();
    expect(result.progress).toEqual({ submitted: 1, total: 5 });
    expect(committed(project.db.name)).toEqual({
      judgements: [shown.assignmentId],
      leased: next.items.map((item) => item.assignmentId),
    });
    // A rater.next call now hands back the very same items (the leases are the rater's).
    expect(nextItems(project.db, ana, 2, TEST_EPOCH_MS + 2_000).items.map((item) => item.assignmentId)).toEqual(
      next.items.map((item) => item.assignmentId),
    );
  });

  it('a refused submit leases nothing either', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 5, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [shown] = nextItems(project.db, ana, 1, TEST_EPOCH_MS).items;
    const before = committed(project.db.name);
    expect(() =>
      submitJudgement(project.db, ana, {
        assignmentId: shown.assignmentId,
        answer: { concept: 'no such' },
        activeMs: 1,
        prefetch: 2,
      }),
    ).toThrow(/answer\.concept/);
    expect(committed(project.db.name)).toEqual(before);
  });

  it('after the last item: no items, not waiting, every item counted', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 1, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [shown] = nextItems(project.db, ana, 2, TEST_EPOCH_MS).items;
    const result = submitJudgement(project.db, ana, {
      assignmentId: shown.assignmentId,
      answer: firstOption(shown),
      activeMs: 1,
      prefetch: 2,
    });
    expect(result.next).toEqual({ items: [], progress: { submitted: 1, total: 1 }, waiting: null });
  });

  it('the contract takes 0 to 3, like rater.next count, and no prefetch at all', () => {
    const input = { assignmentId: 1, answer: { concept: 'x' }, activeMs: 1 };
    expect(contract['rater.submit'].input.safeParse(input).success).toBe(true);
    expect(contract['rater.submit'].input.safeParse({ ...input, prefetch: 3 }).success).toBe(true);
    expect(contract['rater.submit'].input.safeParse({ ...input, prefetch: 4 }).success).toBe(false);
    expect(contract['rater.submit'].input.safeParse({ ...input, prefetch: 1.5 }).success).toBe(false);
  });
});
