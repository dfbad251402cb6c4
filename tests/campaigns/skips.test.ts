// Issue 11 (review): a Prolific rater who answered 1 item and skipped the other 19 was given the paid
// code. Skips are now bounded per rater (settings.maxSkipsPerRater; 2 by default on a campaign with a
// Prolific completion code, unlimited otherwise): a skip past the bound is refused and writes
// nothing, so "nothing left" means every item answered but at most that many.
import { describe, expect, it } from 'vitest';
import { campaignSummary } from '../../src-main/api/campaign-handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { enterCampaign } from '../../src-main/domain/entry';
import { getCampaign } from '../../src-main/store/campaigns';
import type { RaterRecord } from '../../src-main/store/raters';
import { asRater, contextFor, makeProject, makeRater } from '../helpers/factories';

type Project = ReturnType<typeof makeProject>;
const OPTIONS = '["goldfish","volcano","strawberry","tabby cat"]';

function createStudy(project: Project, settings: Record<string, unknown>, normal = 20) {
  const rows = [
    'question,answer,options,kind',
    ...Array.from(
      { length: normal },
      (_, index) => `What is shown?,answer ${index},"${OPTIONS.replace(/"/g, '""')}",normal`,
    ),
  ];
  const { campaignId } = createCampaign(project.db, {
    name: 'study',
    template: 'concept-choice',
    instructions: '',
    settings: campaignSettingsSchema.parse({ overlap: 2, ...settings }),
    source: { kind: 'file', fileName: 'study.csv', text: rows.join('\n') },
  });
  return campaignId;
}

function participant(project: Project, campaignId: number, pid: string): RaterRecord {
  const entryKey = campaignSummary(project.db, campaignId).entryPath!.split('/')[2].split('?')[0];
  return enterCampaign(project.db, entryKey, { prolificPid: pid, studyId: 'study-1', sessionId: `session-${pid}` });
}

const call = async (project: Project, rater: RaterRecord, name: string, input: unknown): Promise<any> =>
  dispatch(name as any, input, contextFor(project, asRater(rater)));
const nextItem = async (project: Project, rater: RaterRecord) =>
  (await call(project, rater, 'rater.next', { count: 1 })).value.items[0];
const statuses = (project: Project, rater: RaterRecord) =>
  project.db
    .prepare('SELECT status, COUNT(*) AS n FROM assignments WHERE rater_id = ? GROUP BY status ORDER BY status')
    .all(rater.id);

describe('skips per rater', () => {
  it('a Prolific rater cannot answer 1 item and skip 19: the 3rd skip is refused, and the code comes only after the rest are answered', async () => {
    const project = makeProject();
    const campaignId = createStudy(project, { prolific: { completionCode: 'PAID-1' } });
    expect(getCampaign(project.db, campaignId).settings.maxSkipsPerRater).toBe(2);
    const ana = participant(project, campaignId, 'pid-ana');
    const first = await nextItem(project, ana);
    expect(
      (
        await call(project, ana, 'rater.submit', {
          assignmentId: first.assignmentId,
          answer: { concept: 'volcano' },
          activeMs: 1000,
        })
      ).value.progress,
    ).toEqual({ submitted: 1, total: 20, skipsLeft: 2 });
    for (const left of [1, 0]) {
      const item = await nextItem(project, ana);
      expect((await call(project, ana, 'rater.skip', { assignmentId: item.assignmentId })).value.progress).toEqual({
        submitted: 1,
        total: 18 + left,
        skipsLeft: left,
      });
    }
    const third = await nextItem(project, ana);
    const before = statuses(project, ana);
    const refused = await call(project, ana, 'rater.skip', { assignmentId: third.assignmentId });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/allows 2 skips per rater/) },
    });
    // Nothing written: the item is still the rater's to answer.
    expect(statuses(project, ana)).toEqual(before);
    expect((await nextItem(project, ana)).assignmentId).toBe(third.assignmentId);
    expect((await call(project, ana, 'rater.session', {})).value).toMatchObject({
      progress: { submitted: 1, total: 18, skipsLeft: 0 },
      completion: null,
    });

    // Every other item answered: now the code.
    for (let n = 0; n < 16; n++) {
      const item = await nextItem(project, ana);
      await call(project, ana, 'rater.submit', {
        assignmentId: item.assignmentId,
        answer: { concept: 'volcano' },
        activeMs: 1000,
      });
      expect((await call(project, ana, 'rater.session', {})).value.completion).toBeNull();
    }
    const last = await nextItem(project, ana);
    await call(project, ana, 'rater.submit', {
      assignmentId: last.assignmentId,
      answer: { concept: 'volcano' },
      activeMs: 1000,
    });
    expect((await call(project, ana, 'rater.session', {})).value).toMatchObject({
      progress: { submitted: 18, total: 18 },
      completion: { outcome: 'completed', code: 'PAID-1' },
    });
  });

  it('is unlimited by default without a Prolific code (no skipsLeft), and the researcher may set any bound, 0 included', async () => {
    const project = makeProject();
    const open = createStudy(project, {}, 6);
    expect(getCampaign(project.db, open).settings.maxSkipsPerRater).toBeNull();
    const ben = makeRater(project, open, 'ben');
    for (let n = 0; n < 5; n++) {
      const item = await nextItem(project, ben);
      const skipped = await call(project, ben, 'rater.skip', { assignmentId: item.assignmentId });
      expect(skipped.value.progress).not.toHaveProperty('skipsLeft');
    }

    const strict = createCampaign(project.db, {
      name: 'strict',
      template: 'concept-choice',
      instructions: '',
      settings: campaignSettingsSchema.parse({ maxSkipsPerRater: 0 }),
      source: {
        kind: 'file',
        fileName: 'strict.csv',
        text: `question,answer,options\nQ,a,"${OPTIONS.replace(/"/g, '""')}"`,
      },
    }).campaignId;
    const cat = makeRater(project, strict, 'cat');
    const item = await nextItem(project, cat);
    expect(await call(project, cat, 'rater.skip', { assignmentId: item.assignmentId })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/allows no skips/) },
    });
  });

  it('a Prolific campaign may choose unlimited skips explicitly (null)', () => {
    const project = makeProject();
    const campaignId = createStudy(project, { prolific: { completionCode: 'PAID-1' }, maxSkipsPerRater: null }, 2);
    expect(getCampaign(project.db, campaignId).settings.maxSkipsPerRater).toBeNull();
  });

  it('the setting is a whole number of 0 or more', () => {
    for (const bad of [-1, 1.5, '2'])
      expect(campaignSettingsSchema.safeParse({ maxSkipsPerRater: bad }).success, String(bad)).toBe(false);
    expect(campaignSettingsSchema.parse({ maxSkipsPerRater: 0 }).maxSkipsPerRater).toBe(0);
  });
});
