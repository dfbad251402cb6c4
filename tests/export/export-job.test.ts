// Exports as jobs: campaigns.export through the API with 'job.progress' events, jobs.cancel
// leaving no file and a 'cancelled' job, and the compact shown order written at submit time.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/events';
import type { JobProgressEvent } from '../../src-main/contract/types';
import { exportCampaign } from '../../src-main/export';
import { startExportJob } from '../../src-main/export/export-job';
import { shownOrderJson } from '../../src-main/util/shown-order';
import { getJob } from '../../src-main/store/jobs';
import type { Project } from '../../src-main/project/project';
import { makeConceptCampaign, makeProject, makeRater, tempDir } from '../helpers/factories';
import { jobEnded } from '../helpers/jobs';
import { ratedConceptCampaign } from './fixtures';

/** Fills a campaign with `count` submitted judgements by direct inserts (fast; shown_order left NULL as in pre-0003 rows when legacy). */
function bulkJudgements(project: Project, count: number, options: { legacy?: boolean } = {}): number {
  const overlap = 4;
  const campaignId = makeConceptCampaign(project, { items: Math.ceil(count / overlap), overlap, name: 'bulk' });
  const raters = Array.from({ length: overlap }, (_, r) => makeRater(project, campaignId, `rater ${r}`));
  const items = project.db
    .prepare('SELECT id, payload_json FROM items WHERE campaign_id = ? ORDER BY position')
    .all(campaignId) as { id: number; payload_json: string }[];
  const insertAssignment = project.db.prepare(
    "INSERT INTO assignments (item_id, rater_id, status, shown_json, leased_at, lease_expires_at) VALUES (?, ?, 'submitted', ?, ?, ?)",
  );
  const insertJudgement = project.db.prepare(
    "INSERT INTO judgements (assignment_id, action, answer_json, shown_json, shown_order, active_ms, submitted_at) VALUES (?, 'submit', ?, ?, ?, ?, ?)",
  );
  project.db.transaction(() => {
    let written = 0;
    for (const item of items) {
      const choices = (JSON.parse(item.payload_json) as { options: string[] }).options;
      for (let r = 0; r < overlap && written < count; r++, written++) {
        const order = [...choices.slice(r), ...choices.slice(0, r)];
        const shown = {
          questions: [
            {
              id: 'concept',
              type: 'choice',
              prompt: 'Which?',
              options: order.map((value) => ({ value, label: value })),
            },
          ],
          pairs: [],
        };
        const at = Date.UTC(2025, 0, 1) + written * 1000;
        const assignmentId = Number(
          insertAssignment.run(item.id, raters[r].id, JSON.stringify(shown), at, at + 60_000).lastInsertRowid,
        );
        insertJudgement.run(
          assignmentId,
          JSON.stringify({ concept: order[0] }),
          JSON.stringify(shown),
          options.legacy ? null : shownOrderJson(shown),
          1000 + r,
          at + 500,
        );
      }
    }
  })();
  return campaignId;
}

describe('export jobs', () => {
  it('campaigns.export runs as a job with job.progress events and returns the file when done', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project, 3);
    const events = new EventBus();
    const seen: JobProgressEvent[] = [];
    events.subscribe((name, payload) => {
      if (name === 'job.progress') seen.push(payload as JobProgressEvent);
    });
    const result = await dispatch(
      'campaigns.export',
      { campaignId, format: 'csv' },
      { project, events, caller: { role: 'researcher' } },
    );
    expect(result.ok).toBe(true);
    const value = (result as { ok: true; value: { jobId: number; state: string; path: string; rows: number } }).value;
    expect(value).toMatchObject({ state: 'done', rows: 9 });
    expect(fs.existsSync(value.path)).toBe(true);
    expect(seen[0]).toMatchObject({ jobId: value.jobId, kind: 'export', state: 'running', done: 0, total: 9 });
    expect(seen.at(-1)).toMatchObject({ jobId: value.jobId, kind: 'export', state: 'done', done: 9, total: 9 });
    expect(getJob(project.db, value.jobId)?.state).toBe('done');
  });

  it('reports progress with rate and ETA on a large export', async () => {
    const project = makeProject();
    const campaignId = bulkJudgements(project, 30_000);
    const seen: JobProgressEvent[] = [];
    const job = await startExportJob(
      project,
      { campaignId, format: 'jsonl', out: path.join(tempDir(), 'big.jsonl') },
      (event) => seen.push(event),
      { progressIntervalMs: 0 },
    );
    const outcome = await job.outcome;
    expect(outcome.state).toBe('done');
    expect(outcome.result?.rows).toBe(30_000);
    const running = seen.filter((event) => event.state === 'running' && event.done > 0 && event.done < 30_000);
    expect(running.length).toBeGreaterThan(1);
    expect(
      running.every((event) => event.total === 30_000 && (event.ratePerSecond ?? 0) > 0 && event.etaSeconds !== null),
    ).toBe(true);
    expect(seen.at(-1)).toMatchObject({ state: 'done', done: 30_000 });
  });

  it('jobs.cancel stops a running export: no file, no temp file, job cancelled', async () => {
    const project = makeProject();
    const campaignId = bulkJudgements(project, 30_000);
    const events = new EventBus();
    const seen: JobProgressEvent[] = [];
    events.subscribe((name, payload) => {
      if (name === 'job.progress') seen.push(payload as JobProgressEvent);
    });
    const context = { project, events, caller: { role: 'researcher' as const } };
    const started = await dispatch('campaigns.export', { campaignId, format: 'parquet', wait: false }, context);
    expect(started.ok).toBe(true);
    const {
      jobId,
      state,
      path: out,
    } = (started as { ok: true; value: { jobId: number; state: string; path: string } }).value;
    expect(state).toBe('running');
    const cancelled = await dispatch('jobs.cancel', { jobId }, context);
    expect(cancelled).toMatchObject({ ok: true, value: { jobId, requested: true } });
    // The job's last event, not a fixed number of polls: a slow machine cannot outrun it (issue 12).
    expect(await jobEnded(context, jobId, seen)).toMatchObject({ state: 'cancelled' });
    expect(getJob(project.db, jobId)?.state).toBe('cancelled');
    expect(seen.at(-1)).toMatchObject({ jobId, state: 'cancelled' });
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(path.dirname(out)).filter((name) => name.includes('partial'))).toEqual([]);
  });
});

describe('shown order', () => {
  it('is stored with each submission, equal to the order derived from what the rater saw', () => {
    const project = makeProject();
    ratedConceptCampaign(project, 2);
    const rows = project.db.prepare("SELECT shown_json, shown_order FROM judgements WHERE action = 'submit'").all() as {
      shown_json: string;
      shown_order: string;
    }[];
    expect(rows.length).toBe(6);
    for (const row of rows) expect(row.shown_order).toBe(shownOrderJson(JSON.parse(row.shown_json)));
  });

  it('is derived from shown_json for rows written before migration 0003', async () => {
    const project = makeProject();
    const legacy = bulkJudgements(project, 40, { legacy: true });
    const out = path.join(tempDir(), 'legacy.csv');
    await exportCampaign(project.db, legacy, { format: 'csv', out });
    const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const stored = project.db
      .prepare("SELECT j.shown_json FROM judgements j WHERE j.action = 'submit' ORDER BY j.id")
      .pluck()
      .all() as string[];
    expect(rows.map((row) => row.shown_order)).toEqual(stored.map((shown) => shownOrderJson(JSON.parse(shown))));
  });
});

describe('CSV cells built by SQLite', () => {
  it('match the JavaScript rules: numbers as written, booleans, lists as JSON, formulas neutralised', async () => {
    const project = makeProject();
    const campaignId = bulkJudgements(project, 4);
    const item = project.db
      .prepare('SELECT id FROM items WHERE campaign_id = ? ORDER BY position LIMIT 1')
      .pluck()
      .get(campaignId) as number;
    // Items are not append-only: give the first one awkward payload values.
    project.db.prepare('UPDATE items SET payload_json = ? WHERE id = ?').run(
      JSON.stringify({
        question: '=cmd|calc',
        answer: 'line\nbreak, "quoted"',
        options: ['a', 'b'],
        score: 0.30000000000000004,
        big: -3,
        flag: true,
        none: null,
        'odd "key"': '+1',
      }),
      item,
    );
    const out = path.join(tempDir(), 'cells.csv');
    await exportCampaign(project.db, campaignId, { format: 'csv', out });
    const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const first = rows.find((row) => row.item_id === String(item))!;
    expect(first['payload.question']).toBe("'=cmd|calc");
    expect(first['payload.answer']).toBe('line\nbreak, "quoted"');
    expect(first['payload.options']).toBe('["a","b"]');
    expect(first['payload.score']).toBe('0.30000000000000004');
    expect(first['payload.big']).toBe('-3');
    expect(first['payload.flag']).toBe('true');
    expect(first['payload.none']).toBe('');
    expect(first['payload.odd "key"']).toBe("'+1");
    expect(first.leased_at).toBe(new Date(Date.UTC(2025, 0, 1)).toISOString());
  });
});
