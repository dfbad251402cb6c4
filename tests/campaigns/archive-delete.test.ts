// Issue 15: `campaign archive` and `campaign delete`, so mistaken campaigns do not pile up and hold
// their names. Delete removes a campaign no rater has submitted to; one with judgements is refused,
// or with --force exported to exports/ and archived (judgements are append-only: never deleted).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { CampaignSummary, RaterItem, RaterNext } from '../../src-main/contract/types';
import { openProject } from '../../src-main/project/project';
import { asRater, contextFor, makeConceptCampaign, makeProject, makeRater, researcher } from '../helpers/factories';
import { runCaptured } from '../helpers/cli';

afterEach(() => vi.restoreAllMocks());

/** Runs the CLI in-process and captures what it prints (tests/helpers/cli.ts). */
const cli = runCaptured;

type Project = ReturnType<typeof makeProject>;
const count = (project: Project, table: string) =>
  project.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
const listNames = async (project: Project, archived = false) => {
  const listed = await cli([
    'campaign',
    'list',
    '--project',
    project.dir,
    ...(archived ? ['--archived'] : []),
    '--json',
  ]);
  return (JSON.parse(listed.out) as CampaignSummary[]).map((campaign) => campaign.name);
};

/** One rater answers `answers` items through the rater API; returns their context for more calls. */
/** The value of the first option of an item's (choice) question. */
const firstOption = (item: RaterItem): string => {
  const question = item.questions[0];
  if (question.type !== 'choice' && question.type !== 'multi') throw new Error('expected a choice question');
  return question.options[0].value;
};

async function rate(project: Project, campaignId: number, answers: number) {
  const context = contextFor(project, asRater(makeRater(project, campaignId, `rater-${campaignId}-${answers}`)));
  for (let index = 0; index < answers; index++) {
    const next = await dispatch('rater.next', { count: 1 }, context);
    const [item] = (next as { ok: true; value: RaterNext }).value.items;
    const submitted = await dispatch(
      'rater.submit',
      { assignmentId: item.assignmentId, answer: { concept: firstOption(item) }, activeMs: 2000 },
      context,
    );
    expect(submitted.ok).toBe(true);
  }
  return context;
}

describe('campaign delete', () => {
  it('removes a campaign with raters and leases but no judgements, and its name can be used again', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { name: 'Typo', items: 3 });
    await dispatch('rater.next', { count: 2 }, contextFor(project, asRater(makeRater(project, campaignId, 'ana'))));
    expect(count(project, 'assignments')).toBe(2);
    const deleted = await cli(['campaign', 'delete', '--project', project.dir, '--name', 'Typo', '--json']);
    expect(deleted.err).toBe('');
    expect(JSON.parse(deleted.out)).toEqual({ outcome: 'deleted', archivedName: null, exportPath: null });
    expect([
      count(project, 'campaigns'),
      count(project, 'items'),
      count(project, 'raters'),
      count(project, 'assignments'),
    ]).toEqual([0, 0, 0, 0]);
    makeConceptCampaign(project, { name: 'Typo', items: 1 });
    expect(await listNames(project)).toEqual(['Typo']);
  });

  it('refuses a campaign with judgements without --force, and changes nothing', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { name: 'Pilot', items: 3 });
    await rate(project, campaignId, 2);
    const before = project.db.prepare('SELECT name, status, archived_at FROM campaigns').all();
    const refused = await cli(['campaign', 'delete', '--project', project.dir, '--name', 'Pilot']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain(
      'campaign "Pilot": has 2 judgement(s), which are never deleted; archive it instead, or delete with --force',
    );
    expect(project.db.prepare('SELECT name, status, archived_at FROM campaigns').all()).toEqual(before);
    expect(count(project, 'judgements')).toBe(2);
    expect(fs.readdirSync(project.exportsDir)).toEqual([]);
  });

  it('--force writes a JSONL export into exports/, then archives: judgements kept, name free, rater work stopped', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { name: 'Pilot', items: 3 });
    const rater = await rate(project, campaignId, 2);
    const forced = await cli(['campaign', 'delete', '--project', project.dir, '--name', 'Pilot', '--force', '--json']);
    expect(forced.err).toBe('');
    const retired = JSON.parse(forced.out) as { outcome: string; archivedName: string; exportPath: string };
    expect(retired.outcome).toBe('archived');
    expect(retired.archivedName).toBe(`Pilot (archived #${campaignId})`);
    expect(path.dirname(retired.exportPath)).toBe(project.exportsDir);
    const lines = fs
      .readFileSync(retired.exportPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { campaign: string });
    expect(lines).toHaveLength(2);
    expect(lines[0].campaign).toBe('Pilot');
    expect(fs.existsSync(`${retired.exportPath}.provenance.json`)).toBe(true);
    expect(count(project, 'judgements')).toBe(2);
    expect(await listNames(project)).toEqual([]);
    expect(await listNames(project, true)).toEqual([`Pilot (archived #${campaignId})`]);
    const next = await dispatch('rater.next', { count: 1 }, rater);
    expect(next).toMatchObject({ ok: true, value: { items: [], waiting: 'closed' } });
    makeConceptCampaign(project, { name: 'Pilot', items: 1 });
    expect(await listNames(project)).toEqual(['Pilot']);
  });
});

describe('campaign archive', () => {
  it('hides the campaign, frees its name, stops rater work like closed, and keeps it closed', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { name: 'Old', items: 4 });
    const rater = await rate(project, campaignId, 1);
    const leased = await dispatch('rater.next', { count: 1 }, rater);
    const [held] = (leased as { ok: true; value: RaterNext }).value.items;
    const archived = await cli(['campaign', 'archive', '--project', project.dir, '--name', 'Old']);
    expect(archived.err).toBe('');
    expect(archived.out).toContain(`Archived campaign "Old" as "Old (archived #${campaignId})"`);
    expect(await listNames(project)).toEqual([]);
    const submit = await dispatch(
      'rater.submit',
      { assignmentId: held.assignmentId, answer: { concept: firstOption(held) }, activeMs: 1 },
      rater,
    );
    expect(submit.ok).toBe(false);
    const reopen = await dispatch(
      'campaigns.setStatus',
      { campaignId, status: 'open' },
      contextFor(project, researcher),
    );
    expect(reopen).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const again = await dispatch('campaigns.archive', { campaignId }, contextFor(project, researcher));
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(count(project, 'judgements')).toBe(1);
    // Results and exports still reach it, by id or by its archived name.
    const results = await cli([
      'results',
      '--project',
      project.dir,
      '--campaign',
      `Old (archived #${campaignId})`,
      '--replicates',
      '10',
      '--json',
    ]);
    expect(results.code).toBe(0);
    // The archive is on disk, not only in this connection.
    project.db.close();
    const reopened = openProject(project.dir);
    expect(reopened.db.prepare('SELECT status, archived_at IS NOT NULL AS archived FROM campaigns').get()).toEqual({
      status: 'closed',
      archived: 1,
    });
    reopened.db.close();
  });
});
