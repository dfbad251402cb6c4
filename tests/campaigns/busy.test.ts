// Another process holding project.sqlite's write lock (e.g. `sightline mine`'s swap, several seconds
// on the paper's SAE) past busy_timeout: the rater's call comes back as a `busy` error value with
// nothing written, and the rater page's client tries again until the lock is free.
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { startServer, type RunningServer } from '../../src-main/http/server';
import { DB_FILE } from '../../src-main/project/project';
import { campaignSummary } from '../../src-main/api/campaign-handlers';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { ApiError, createClient, retryWhileBusy } from '../../src-renderer/src/lib/client';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

let server: RunningServer | undefined;
let other: Database.Database | undefined;
afterEach(async () => {
  if (other?.inTransaction) other.exec('ROLLBACK');
  other?.close();
  other = undefined;
  await server?.close();
  server = undefined;
});

describe('a write lock held by another process', () => {
  it('answers `busy` with nothing written, and the rater client retries until the lock is free', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 3, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    // The real server waits 5 s for the lock; a short wait keeps the test quick, the path is the same.
    project.db.pragma('busy_timeout = 50');
    server = await startServer({ project, events: new EventBus(), researcherToken: crypto.randomUUID(), port: 0 });
    const base = server.url.replace(/\/$/, '');
    const fetchImpl = ((url: string, init: RequestInit) => fetch(`${base}${url}`, init)) as typeof fetch;
    const client = createClient({ role: 'rater', token: ana.token, fetchImpl });

    const { items } = await client.call('rater.next', { count: 1 });
    const question = items[0].questions[0];
    if (question.type !== 'choice') throw new Error('expected the concept choice question first');
    const submit = () =>
      client.call('rater.submit', {
        assignmentId: items[0].assignmentId,
        answer: { concept: question.options[0].value },
        activeMs: 800,
      });
    const judgements = () => (project.db.prepare('SELECT count(*) AS n FROM judgements').get() as { n: number }).n;

    other = new Database(path.join(project.dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    const refused = await submit().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ code: 'busy', details: { sqliteCode: 'SQLITE_BUSY' } });
    expect((refused as ApiError).message).toMatch(/locked by another process/);
    expect(judgements()).toBe(0);

    // The lock is given back after the client's second refusal; its third try goes through.
    const waits: number[] = [];
    const result = await retryWhileBusy(submit, {
      delayMs: 10,
      onWait: (attempt) => {
        waits.push(attempt);
        if (attempt === 2) other!.exec('COMMIT');
      },
    });
    expect(waits).toEqual([1, 2]);
    expect(result.progress.submitted).toBe(1);
    expect(judgements()).toBe(1);
  });

  it('a Prolific entry link answers 503 with a page that reloads itself, and creates no participant', async () => {
    const project = makeProject();
    const text = 'question,answer,options\nWhat is shown?,A fish.,"[""goldfish"",""volcano""]"\n';
    const settings = campaignSettingsSchema.parse({ overlap: 1, prolific: { completionCode: 'C0DE' } });
    const { campaignId } = createCampaign(project.db, {
      name: 'study',
      template: 'concept-choice',
      instructions: '',
      settings,
      source: { kind: 'file', fileName: 'study.csv', text },
    });
    const entry = campaignSummary(project.db, campaignId)
      .entryPath!.replace('{{%PROLIFIC_PID%}}', 'p1')
      .replace('{{%STUDY_ID%}}', 's1')
      .replace('{{%SESSION_ID%}}', 'x1');
    project.db.pragma('busy_timeout = 50');
    server = await startServer({ project, events: new EventBus(), researcherToken: crypto.randomUUID(), port: 0 });
    const base = server.url.replace(/\/$/, '');
    other = new Database(path.join(project.dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    const busy = await fetch(`${base}${entry}`, { redirect: 'manual' });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(await busy.text()).toMatch(/http-equiv="refresh" content="5"/);
    other.exec('COMMIT');
    expect(project.db.prepare('SELECT COUNT(*) FROM raters').pluck().get()).toBe(0);
    const entered = await fetch(`${base}${entry}`, { redirect: 'manual' });
    expect(entered.status).toBe(303);
    expect(entered.headers.get('location')).toMatch(/^\/rate\?token=/);
  });

  it('gives up after its tries, and never retries any other error', async () => {
    let calls = 0;
    const busy = () => {
      calls++;
      return Promise.reject(new ApiError('busy', 'locked'));
    };
    await expect(retryWhileBusy(busy, { attempts: 3, delayMs: 1 })).rejects.toMatchObject({ code: 'busy' });
    expect(calls).toBe(3);
    calls = 0;
    const conflict = () => {
      calls++;
      return Promise.reject(new ApiError('conflict', 'lease expired'));
    };
    await expect(retryWhileBusy(conflict, { delayMs: 1 })).rejects.toMatchObject({ code: 'conflict' });
    expect(calls).toBe(1);
  });
});
