import { describe, expect, it } from 'vitest';
import { campaignSummary } from '../../src-main/api/campaign-handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { campaignMonitor } from '../../src-main/domain/monitor';
import { nextItems, skipItem, submitJudgement } from '../../src-main/domain/rating';
import { findRaterByToken } from '../../src-main/store/raters';
import { asRater, contextFor, makeProject, makeRater } from '../helpers/factories';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';

const csv = (rows: string[][]) =>
  rows.map((row) => row.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(',')).join('\n');
const OPTIONS = '["goldfish","volcano","strawberry","tabby cat"]';

function studyFile(): string {
  const header = ['question', 'answer', 'options', 'kind', 'gold.concept', 'expected.concept', 'condition'];
  const rows = [header];
  for (let index = 0; index < 2; index++)
    rows.push(['Qualify', `qualification answer ${index}`, OPTIONS, 'qualification', 'volcano', '', '']);
  rows.push(['Gold', 'It is a volcano erupting.', OPTIONS, 'gold', 'volcano', '', '']);
  rows.push(['Attention', "To show you are reading, choose 'strawberry'.", OPTIONS, 'attention', '', 'strawberry', '']);
  for (let index = 0; index < 12; index++)
    rows.push(['What is shown?', `answer ${index}`, OPTIONS, 'normal', '', '', `k=${(index % 3) * 10}`]);
  return csv(rows);
}

function createStudy(project: ReturnType<typeof makeProject>) {
  return createCampaign(project.db, {
    name: 'study',
    template: 'concept-choice',
    instructions: '',
    settings: campaignSettingsSchema.parse({
      overlap: 2,
      qcEvery: 2,
      qualification: { passMark: 1 },
      prolific: { completionCode: 'C0DE42' },
    }),
    source: { kind: 'file', fileName: 'study.csv', text: studyFile() },
  }).campaignId;
}

/** Answers whatever comes next with the given policy; returns the kinds served, in order. */
function rate(
  project: ReturnType<typeof makeProject>,
  token: string,
  count: number,
  choose: (kind: string, options: string[]) => string,
): string[] {
  const kinds: string[] = [];
  for (let n = 0; n < count; n++) {
    const rater = findRaterByToken(project.db, token)!;
    const [item] = nextItems(project.db, rater, 1).items;
    if (!item) break;
    const kind = project.db
      .prepare('SELECT i.kind FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
      .pluck()
      .get(item.assignmentId) as string;
    kinds.push(kind);
    const options = item.questions[0].type === 'choice' ? item.questions[0].options.map((option) => option.value) : [];
    submitJudgement(project.db, rater, {
      assignmentId: item.assignmentId,
      answer: { concept: choose(kind, options) },
      activeMs: kind === 'normal' ? 4000 : 3000,
    });
  }
  return kinds;
}

describe('quality control', () => {
  it('the qualification round comes first and a failed round stops the rater', async () => {
    const project = makeProject();
    const campaignId = createStudy(project);
    const failing = makeRater(project, campaignId, 'careless');
    expect(rate(project, failing.token, 5, () => 'goldfish')).toEqual(['qualification', 'qualification']);
    const session = await dispatch(
      'rater.session',
      {},
      contextFor(project, asRater(findRaterByToken(project.db, failing.token)!)),
    );
    expect(session).toMatchObject({
      ok: true,
      value: { status: 'disqualified', qualification: { required: 2, answered: 2, passed: false } },
    });
  });

  it('gold and attention items are slipped in and scored; the monitor reports accuracy, failures and speed', async () => {
    const project = makeProject();
    const campaignId = createStudy(project);
    const careful = makeRater(project, campaignId, 'careful');
    const kinds = rate(project, careful.token, 20, (kind) => (kind === 'attention' ? 'strawberry' : 'volcano'));
    expect(kinds.slice(0, 2)).toEqual(['qualification', 'qualification']);
    expect(kinds).toContain('gold');
    expect(kinds).toContain('attention');
    // Quality items come after ordinary ones (qcEvery = 2), never two in a row at the start.
    expect(kinds[2]).toBe('normal');
    const sloppy = makeRater(project, campaignId, 'sloppy');
    project.db
      .prepare(
        "UPDATE items SET hidden_json = json_set(hidden_json, '$.gold.concept', 'volcano') WHERE kind = 'qualification'",
      )
      .run();
    rate(project, sloppy.token, 20, (kind) => (kind === 'qualification' ? 'volcano' : 'goldfish'));
    const monitor = campaignMonitor(project.db, campaignId, campaignSummary(project.db, campaignId));
    const byName = Object.fromEntries(monitor.raters.map((rater) => [rater.name, rater]));
    expect(byName.careful.gold).toEqual({ answered: 1, correct: 1, accuracy: 1 });
    expect(byName.careful.attention).toEqual({ answered: 1, failed: 0 });
    expect(byName.careful.qualification?.passed).toBe(true);
    expect(byName.sloppy.gold).toEqual({ answered: 1, correct: 0, accuracy: 0 });
    expect(byName.sloppy.attention).toEqual({ answered: 1, failed: 1 });
  });

  it('Prolific entry creates the participant once; the session carries no completion code before any work', async () => {
    const project = makeProject();
    const campaignId = createStudy(project);
    const summary = campaignSummary(project.db, campaignId);
    expect(summary.entryPath).toMatch(/^\/enter\/[A-Za-z0-9_-]+\?PROLIFIC_PID=\{\{%PROLIFIC_PID%\}\}/);
    const { enterCampaign } = await import('../../src-main/domain/entry');
    const key = summary.entryPath!.split('/')[2].split('?')[0];
    const first = enterCampaign(project.db, key, { prolificPid: 'pid123', studyId: 'study9', sessionId: 's1' });
    const again = enterCampaign(project.db, key, { prolificPid: 'pid123', studyId: 'study9', sessionId: 's1' });
    expect(again.token).toBe(first.token);
    // Issue 11: another session of the same participant id used to get this token (tests/campaigns/prolific.test.ts).
    expect(() => enterCampaign(project.db, key, { prolificPid: 'pid123', studyId: 'study9', sessionId: 's2' })).toThrow(
      /another Prolific session/,
    );
    expect(() =>
      enterCampaign(project.db, 'wrong-key', { prolificPid: 'pid123', studyId: 'a', sessionId: 'b' }),
    ).toThrow(/not valid/);
    expect(() => enterCampaign(project.db, key, { prolificPid: 'bad id!', studyId: 'a', sessionId: 'b' })).toThrow(
      /prolificPid/,
    );
    // Issue 11: the code used to come with the first session call, before any work.
    const session = await dispatch('rater.session', {}, contextFor(project, asRater(first)));
    expect(session).toMatchObject({ ok: true, value: { completion: null } });
  });

  it('undo is off in the qualification round, the verdict comes only when the round ends, and a failed round is final', async () => {
    const project = makeProject();
    const campaignId = createStudy(project);
    const { token } = makeRater(project, campaignId, 'prober');
    const rater = () => findRaterByToken(project.db, token)!;
    const context = () => contextFor(project, asRater(rater()));
    const [first] = nextItems(project.db, rater(), 1).items;
    submitJudgement(project.db, rater(), {
      assignmentId: first.assignmentId,
      answer: { concept: 'volcano' },
      activeMs: 3000,
    });
    // Mid-round: progress only, no verdict and no score.
    const mid = (await dispatch('rater.session', {}, context())) as { ok: true; value: any };
    expect(mid.value.qualification).toEqual({ required: 2, answered: 1, passed: null });
    expect(await dispatch('rater.undo', {}, context())).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/qualification answers cannot be undone/) },
    });
    const [second] = nextItems(project.db, rater(), 1).items;
    submitJudgement(project.db, rater(), {
      assignmentId: second.assignmentId,
      answer: { concept: 'goldfish' },
      activeMs: 3000,
    });
    // The last answer settles the round at once, before any rater.next.
    expect(rater().status).toBe('disqualified');
    expect(await dispatch('rater.session', {}, context())).toMatchObject({
      ok: true,
      value: { status: 'disqualified', qualification: { answered: 2, passed: false } },
    });
    // No way back into the round: undo is refused, and nothing more is handed out.
    expect(await dispatch('rater.undo', {}, context())).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(nextItems(project.db, rater(), 2)).toMatchObject({ items: [], waiting: null });
    expect(project.db.prepare("SELECT COUNT(*) FROM judgements WHERE action = 'undo'").pluck().get()).toBe(0);
  });

  it('after a passed round, undo takes back ordinary answers but stops at the qualification answers', async () => {
    const project = makeProject();
    const campaignId = createStudy(project);
    const { token } = makeRater(project, campaignId, 'careful');
    const rater = () => findRaterByToken(project.db, token)!;
    expect(rate(project, token, 3, () => 'volcano')).toEqual(['qualification', 'qualification', 'normal']);
    const undone = (await dispatch('rater.undo', {}, contextFor(project, asRater(rater())))) as {
      ok: true;
      value: any;
    };
    expect(undone.ok).toBe(true);
    expect(undone.value.item).not.toBeNull();
    submitJudgement(project.db, rater(), {
      assignmentId: undone.value.item.assignmentId,
      answer: { concept: 'volcano' },
      activeMs: 3000,
    });
    expect(await dispatch('rater.undo', {}, contextFor(project, asRater(rater())))).toMatchObject({ ok: true });
    expect(await dispatch('rater.undo', {}, contextFor(project, asRater(rater())))).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/qualification/) },
    });
  });

  it('a qualification item cannot be skipped, so the rater can always finish the round', () => {
    const project = makeProject();
    const rows = [['question', 'answer', 'options', 'kind', 'gold.concept']];
    for (let index = 0; index < 2; index++)
      rows.push(['Qualify', `qualification answer ${index}`, OPTIONS, 'qualification', 'volcano']);
    for (let index = 0; index < 2; index++) rows.push(['What is shown?', `answer ${index}`, OPTIONS, 'normal', '']);
    const campaignId = createCampaign(project.db, {
      name: 'skip-qualify',
      template: 'concept-choice',
      instructions: '',
      settings: campaignSettingsSchema.parse({ overlap: 1, qualification: { passMark: 1 } }),
      source: { kind: 'file', fileName: 'skip.csv', text: csv(rows) },
    }).campaignId;
    const { token } = makeRater(project, campaignId, 'skipper');
    const rater = () => findRaterByToken(project.db, token)!;
    const itemOf = (assignmentId: number) =>
      project.db.prepare('SELECT item_id FROM assignments WHERE id = ?').pluck().get(assignmentId) as number;

    const [first] = nextItems(project.db, rater(), 1).items;
    expect(() => skipItem(project.db, rater(), first.assignmentId)).toThrow(
      expect.objectContaining({
        code: 'conflict',
        message: expect.stringMatching(/qualification items cannot be skipped/),
      }),
    );
    // The refused skip changed nothing: the same item is still the rater's, and answering both finishes the round.
    const [again, second] = nextItems(project.db, rater(), 2).items;
    expect(again.assignmentId).toBe(first.assignmentId);
    expect(itemOf(second.assignmentId)).not.toBe(itemOf(first.assignmentId));
    submitJudgement(project.db, rater(), {
      assignmentId: second.assignmentId,
      answer: { concept: 'volcano' },
      activeMs: 3000,
    });
    submitJudgement(project.db, rater(), {
      assignmentId: first.assignmentId,
      answer: { concept: 'volcano' },
      activeMs: 3000,
    });

    // Passed: the ordinary items follow.
    expect(rate(project, token, 5, () => 'goldfish')).toEqual(['normal', 'normal']);
    expect(nextItems(project.db, rater(), 1)).toMatchObject({ items: [], progress: { submitted: 4, total: 4 } });
  });
});
