// Issue 11 (review): anyone with the public study link could make up participant ids and mint
// unlimited raters. With prolific.places (the study's number of places on Prolific), once that many
// participants have finished with the completion code, or twice that many have entered, new
// PROLIFIC_PIDs get "this study is full"; participants already in still get back in.
import { describe, expect, it } from 'vitest';
import { campaignSummary } from '../../src-main/api/campaign-handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { enterCampaign, STUDY_FULL } from '../../src-main/domain/entry';
import type { RaterRecord } from '../../src-main/store/raters';
import { asRater, contextFor, makeProject } from '../helpers/factories';
import { serveProject } from '../helpers/http';

type Project = ReturnType<typeof makeProject>;
const OPTIONS = '"[""goldfish"",""volcano"",""strawberry"",""tabby cat""]"';

function createStudy(project: Project, places: number | undefined, items = 2) {
  const rows = [
    'question,answer,options',
    ...Array.from({ length: items }, (_, index) => `What is shown?,answer ${index},${OPTIONS}`),
  ];
  const { campaignId } = createCampaign(project.db, {
    name: 'study',
    template: 'concept-choice',
    instructions: '',
    settings: campaignSettingsSchema.parse({
      overlap: 100,
      prolific: { completionCode: 'PAID-1', ...(places === undefined ? {} : { places }) },
    }),
    source: { kind: 'file', fileName: 'study.csv', text: rows.join('\n') },
  });
  return campaignSummary(project.db, campaignId).entryPath!.split('/')[2].split('?')[0];
}

const enter = (project: Project, entryKey: string, pid: string) =>
  enterCampaign(project.db, entryKey, { prolificPid: pid, studyId: 'study-1', sessionId: `session-${pid}` });
const raterCount = (project: Project) => project.db.prepare('SELECT COUNT(*) FROM raters').pluck().get();

async function finish(project: Project, rater: RaterRecord): Promise<void> {
  const context = contextFor(project, asRater(rater));
  for (;;) {
    const next = (await dispatch('rater.next', { count: 1 }, context)) as any;
    const item = next.value.items[0];
    if (!item) break;
    await dispatch(
      'rater.submit',
      { assignmentId: item.assignmentId, answer: { concept: 'volcano' }, activeMs: 1000 },
      context,
    );
  }
  expect(((await dispatch('rater.session', {}, context)) as any).value.completion).toMatchObject({
    outcome: 'completed',
  });
}

const full = expect.objectContaining({
  code: 'conflict',
  message: expect.stringMatching(/full/),
  details: { reason: STUDY_FULL },
});

describe('a study with a number of places', () => {
  it('is full for new participants once that many have finished; those already in still get back in', async () => {
    const project = makeProject();
    const entryKey = createStudy(project, 2);
    const ana = enter(project, entryKey, 'pid-ana');
    const ben = enter(project, entryKey, 'pid-ben');
    await finish(project, ana);
    const cat = enter(project, entryKey, 'pid-cat'); // one place still open
    await finish(project, ben);
    expect(() => enter(project, entryKey, 'pid-dan')).toThrow(full);
    expect(raterCount(project)).toBe(3);
    expect(enter(project, entryKey, 'pid-ana').token).toBe(ana.token);
    expect(enter(project, entryKey, 'pid-cat').token).toBe(cat.token);
  });

  it('is full for new participants once twice that many have entered, finished or not', () => {
    const project = makeProject();
    const entryKey = createStudy(project, 2);
    const entered = ['a', 'b', 'c', 'd'].map((pid) => enter(project, entryKey, `pid-${pid}`));
    expect(() => enter(project, entryKey, 'pid-e')).toThrow(full);
    expect(raterCount(project)).toBe(4);
    expect(enter(project, entryKey, 'pid-d').token).toBe(entered[3].token);
  });

  it('without places, any number may enter', () => {
    const project = makeProject();
    const entryKey = createStudy(project, undefined);
    for (let n = 0; n < 12; n++) enter(project, entryKey, `pid-${n}`);
    expect(raterCount(project)).toBe(12);
  });

  it('over HTTP a new participant of a full study gets a "this study is full" page and no token', async () => {
    const project = makeProject();
    const entryKey = createStudy(project, 1);
    const server = await serveProject(project);
    const entry = (pid: string) =>
      fetch(`http://127.0.0.1:${server.port}/enter/${entryKey}?PROLIFIC_PID=${pid}&STUDY_ID=s&SESSION_ID=x-${pid}`, {
        redirect: 'manual',
      });
    expect((await entry('one')).status).toBe(303);
    expect((await entry('two')).status).toBe(303);
    const refused = await entry('three');
    expect(refused.status).toBe(409);
    expect(refused.headers.get('location')).toBeNull();
    const page = await refused.text();
    expect(page).toContain('<h1>This study is full</h1>');
    expect(page).toMatch(/data-code="conflict"/);
    expect((await entry('one')).status).toBe(303);
  });

  it('places is a whole number of 1 or more', () => {
    for (const places of [0, -1, 2.5, '3']) {
      expect(
        campaignSettingsSchema.safeParse({ prolific: { completionCode: 'C', places } }).success,
        String(places),
      ).toBe(false);
    }
    expect(campaignSettingsSchema.parse({ prolific: { completionCode: 'C', places: 40 } }).prolific?.places).toBe(40);
  });
});
