// Issue 11: the Prolific completion code pays a participant, so it is given only to a rater who has
// finished the assignment rules (with the screen-out code for one who failed a check), the time it
// was shown is on record, and a participant id from another session cannot take over a rater.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { campaignSummary } from '../../src-main/api/campaign-handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/events';
import { campaignSettingsSchema, type CampaignSettings } from '../../src-main/contract/campaign-create';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { enterCampaign } from '../../src-main/domain/entry';
import { exportCampaign } from '../../src-main/export';
import { campaignMonitor } from '../../src-main/domain/monitor';
import { startServer, type RunningServer } from '../../src-main/http/server';
import type { RaterRecord } from '../../src-main/store/raters';
import { asRater, contextFor, makeProject, tempDir } from '../helpers/factories';

let server: RunningServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

type Project = ReturnType<typeof makeProject>;
const OPTIONS = '["goldfish","volcano","strawberry","tabby cat"]';
const csv = (rows: string[][]) =>
  rows.map((row) => row.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(',')).join('\n');

/** A Prolific study: optional qualification items, one attention check, then ordinary items (every rater gets each). */
function createStudy(
  project: Project,
  options: {
    normal?: number;
    qualification?: number;
    attention?: number;
    prolific?: CampaignSettings['prolific'];
    overlap?: number;
  } = {},
) {
  const rows = [['question', 'answer', 'options', 'kind', 'gold.concept', 'expected.concept']];
  for (let index = 0; index < (options.qualification ?? 0); index++)
    rows.push(['Qualify', `qualification answer ${index}`, OPTIONS, 'qualification', 'volcano', '']);
  for (let index = 0; index < (options.attention ?? 1); index++)
    rows.push(['Attention', "To show you are reading, choose 'strawberry'.", OPTIONS, 'attention', '', 'strawberry']);
  for (let index = 0; index < (options.normal ?? 3); index++)
    rows.push(['What is shown?', `answer ${index}`, OPTIONS, 'normal', '', '']);
  const { campaignId } = createCampaign(project.db, {
    name: 'study',
    template: 'concept-choice',
    instructions: '',
    settings: campaignSettingsSchema.parse({
      overlap: options.overlap ?? 2,
      qcEvery: 1,
      qualification: options.qualification ? { passMark: 1 } : undefined,
      prolific: options.prolific ?? { completionCode: 'PAID-1', screenOutCode: 'OUT-1' },
    }),
    source: { kind: 'file', fileName: 'study.csv', text: csv(rows) },
  });
  const entryKey = campaignSummary(project.db, campaignId).entryPath!.split('/')[2].split('?')[0];
  return { campaignId, entryKey };
}

const enter = (project: Project, entryKey: string, pid: string, session = `session-${pid}`) =>
  enterCampaign(project.db, entryKey, { prolificPid: pid, studyId: 'study-1', sessionId: session });

async function call(project: Project, rater: RaterRecord, name: string, input: unknown): Promise<any> {
  return dispatch(name as any, input, contextFor(project, asRater(rater)));
}

const kindOf = (project: Project, assignmentId: number) =>
  project.db
    .prepare('SELECT i.kind FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
    .pluck()
    .get(assignmentId) as string;

/** Answers the rater's items one by one through the bridge (attention checks per `attention`), at most `count`. */
async function answer(
  project: Project,
  rater: RaterRecord,
  count: number,
  attention: 'obey' | 'ignore' | 'skip' = 'obey',
): Promise<void> {
  for (let n = 0; n < count; n++) {
    const next = await call(project, rater, 'rater.next', { count: 1 });
    const [item] = next.value.items;
    if (!item) return;
    const kind = kindOf(project, item.assignmentId);
    if (kind === 'attention' && attention === 'skip') {
      expect(await call(project, rater, 'rater.skip', { assignmentId: item.assignmentId })).toMatchObject({ ok: true });
      continue;
    }
    const concept = kind === 'attention' && attention === 'obey' ? 'strawberry' : 'volcano';
    expect(
      await call(project, rater, 'rater.submit', {
        assignmentId: item.assignmentId,
        answer: { concept },
        activeMs: 2000,
      }),
    ).toMatchObject({ ok: true });
  }
}

const session = async (project: Project, rater: RaterRecord) => (await call(project, rater, 'rater.session', {})).value;
const recorded = (project: Project, rater: RaterRecord) =>
  project.db
    .prepare('SELECT completion_outcome AS outcome, completion_shown_at AS shownAt FROM raters WHERE id = ?')
    .get(rater.id);

describe('the completion code', () => {
  it('is given only once every item is answered, its first showing is recorded, and the answers are then final', async () => {
    const project = makeProject();
    const { campaignId, entryKey } = createStudy(project);
    const ana = enter(project, entryKey, 'pid-ana');
    // A fresh participant (anyone with the public link can make one up) gets no code.
    expect((await session(project, ana)).completion).toBeNull();
    await answer(project, ana, 3);
    expect((await session(project, ana)).completion).toBeNull();
    expect(recorded(project, ana)).toEqual({ outcome: null, shownAt: null });

    await answer(project, ana, 10);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-01T12:00:00Z'));
    const done = await session(project, ana);
    expect(done.completion).toEqual({
      outcome: 'completed',
      code: 'PAID-1',
      url: 'https://app.prolific.com/submissions/complete?cc=PAID-1',
    });
    const shownAt = Date.parse('2025-03-01T12:00:00Z');
    expect(recorded(project, ana)).toEqual({ outcome: 'completed', shownAt });
    // Shown again later: the first time stays on record.
    vi.setSystemTime(new Date('2025-03-01T13:00:00Z'));
    expect((await session(project, ana)).completion.code).toBe('PAID-1');
    expect(recorded(project, ana)).toEqual({ outcome: 'completed', shownAt });
    vi.useRealTimers();
    // The researcher sees it on the monitor.
    const monitor = campaignMonitor(project.db, campaignId, campaignSummary(project.db, campaignId));
    expect(monitor.raters.find((row) => row.id === ana.id)?.completion).toEqual({ outcome: 'completed', shownAt });
    // With the code in hand the answers are final: undo would let them change what was paid for.
    expect(await call(project, ana, 'rater.undo', {})).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/final/) },
    });
  });

  it("an export's provenance says which code each rater was given and when", async () => {
    const project = makeProject();
    const { campaignId, entryKey } = createStudy(project);
    const ana = enter(project, entryKey, 'pid-ana');
    const ben = enter(project, entryKey, 'pid-ben');
    await answer(project, ana, 10);
    await answer(project, ben, 2);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-01T12:00:00Z'));
    await session(project, ana);
    await session(project, ben);
    vi.useRealTimers();
    const result = await exportCampaign(project.db, campaignId, {
      format: 'jsonl',
      out: path.join(tempDir(), 'out.jsonl'),
    });
    const provenance = JSON.parse(fs.readFileSync(result.provenancePath!, 'utf8'));
    expect(provenance.raters.list.map((rater: any) => [rater.pseudonym, rater.completion])).toEqual([
      ['R001', { outcome: 'completed', shown_at: '2025-03-01T12:00:00.000Z' }],
      ['R002', null],
    ]);
  });

  it('is not given to a participant who answered nothing, even when the study is full', async () => {
    const project = makeProject();
    const { entryKey } = createStudy(project, { attention: 0, normal: 2, overlap: 1 });
    const ana = enter(project, entryKey, 'pid-ana');
    await answer(project, ana, 5);
    expect((await session(project, ana)).completion).toMatchObject({ outcome: 'completed' });
    const late = enter(project, entryKey, 'pid-late');
    expect((await call(project, late, 'rater.next', { count: 2 })).value).toEqual({
      items: [],
      progress: { submitted: 0, total: 0, skipsLeft: 2 },
      waiting: null,
    });
    expect((await session(project, late)).completion).toBeNull();
    expect(recorded(project, late)).toEqual({ outcome: null, shownAt: null });
  });

  it('a failed or skipped attention check ends in the screen-out code, recorded as such', async () => {
    for (const attention of ['ignore', 'skip'] as const) {
      const project = makeProject();
      const { campaignId, entryKey } = createStudy(project);
      const ben = enter(project, entryKey, `pid-${attention}`);
      await answer(project, ben, 10, attention);
      expect((await session(project, ben)).completion, attention).toEqual({
        outcome: 'screened-out',
        code: 'OUT-1',
        url: 'https://app.prolific.com/submissions/complete?cc=OUT-1',
      });
      expect(recorded(project, ben)).toMatchObject({ outcome: 'screened-out', shownAt: expect.any(Number) });
      const monitor = campaignMonitor(project.db, campaignId, campaignSummary(project.db, campaignId));
      expect(monitor.raters[0].completion?.outcome).toBe('screened-out');
    }
  });

  it('without a screen-out code, a screened-out participant gets no code at all', async () => {
    const project = makeProject();
    const { entryKey } = createStudy(project, { prolific: { completionCode: 'PAID-1' } });
    const ben = enter(project, entryKey, 'pid-ben');
    await answer(project, ben, 10, 'ignore');
    expect((await session(project, ben)).completion).toEqual({ outcome: 'screened-out', code: null, url: null });
    expect(JSON.stringify(await session(project, ben))).not.toContain('PAID-1');
  });

  it('a failed qualification round gets the screen-out code as soon as the round ends', async () => {
    const project = makeProject();
    const { entryKey } = createStudy(project, { qualification: 2 });
    const cat = enter(project, entryKey, 'pid-cat');
    for (let n = 0; n < 2; n++) {
      const [item] = (await call(project, cat, 'rater.next', { count: 1 })).value.items;
      await call(project, cat, 'rater.submit', {
        assignmentId: item.assignmentId,
        answer: { concept: 'goldfish' },
        activeMs: 2000,
      });
    }
    expect(await session(project, cat)).toMatchObject({
      status: 'disqualified',
      completion: { outcome: 'screened-out', code: 'OUT-1' },
    });
  });

  it('the screen-out code must differ from the completion code', () => {
    expect(() => campaignSettingsSchema.parse({ prolific: { completionCode: 'SAME', screenOutCode: 'SAME' } })).toThrow(
      /differ/,
    );
  });
});

describe('a Prolific participant is bound to their first session', () => {
  it('the same PROLIFIC_PID from another study or session is refused; the first session still gets in', () => {
    const project = makeProject();
    const { entryKey } = createStudy(project);
    const first = enterCampaign(project.db, entryKey, { prolificPid: 'pid123', studyId: 'study9', sessionId: 's1' });
    expect(
      enterCampaign(project.db, entryKey, { prolificPid: 'pid123', studyId: 'study9', sessionId: 's1' }).token,
    ).toBe(first.token);
    for (const other of [
      { studyId: 'study9', sessionId: 's2' },
      { studyId: 'study10', sessionId: 's1' },
    ]) {
      expect(() => enterCampaign(project.db, entryKey, { prolificPid: 'pid123', ...other })).toThrow(
        expect.objectContaining({ code: 'forbidden', message: expect.stringMatching(/another Prolific session/) }),
      );
    }
    expect(project.db.prepare('SELECT COUNT(*) FROM raters').pluck().get()).toBe(1);
  });

  it('over HTTP a mismatch gets a refusal page and no token; the first session is redirected to the rater page', async () => {
    const project = makeProject();
    const { entryKey } = createStudy(project);
    server = await startServer({ project, events: new EventBus(), researcherToken: crypto.randomUUID(), port: 0 });
    const entry = (session: string) =>
      fetch(
        `${server!.url.replace(/\/$/, '')}/enter/${entryKey}?PROLIFIC_PID=pid123&STUDY_ID=study9&SESSION_ID=${session}`,
        { redirect: 'manual' },
      );
    const first = await entry('s1');
    expect(first.status).toBe(303);
    const token = new URL(first.headers.get('location')!, 'http://x').searchParams.get('token')!;
    expect(token.length).toBeGreaterThan(20);

    const refused = await entry('s2');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refused.headers.get('location')).toBeNull();
    const page = await refused.text();
    expect(page).toContain('<h1>This study was started from another Prolific session</h1>');
    expect(page).toMatch(/continue in that session/);
    expect(page).not.toContain(token);

    const again = await entry('s1');
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toContain(encodeURIComponent(token));
  });

  it('other refusals get the same kind of page: an unknown link, a malformed id', async () => {
    const project = makeProject();
    const { entryKey } = createStudy(project);
    server = await startServer({ project, events: new EventBus(), researcherToken: crypto.randomUUID(), port: 0 });
    const base = server.url.replace(/\/$/, '');
    const unknown = await fetch(`${base}/enter/not-a-key?PROLIFIC_PID=p&STUDY_ID=s&SESSION_ID=x`, {
      redirect: 'manual',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('<h1>This study link is not valid</h1>');
    const malformed = await fetch(`${base}/enter/${entryKey}?PROLIFIC_PID=%3Cscript%3E&STUDY_ID=s&SESSION_ID=x`, {
      redirect: 'manual',
    });
    expect(malformed.status).toBe(400);
    const text = await malformed.text();
    expect(text).toContain('<h1>This study link is incomplete</h1>');
    expect(text).not.toContain('<script>');
  });
});
