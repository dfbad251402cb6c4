import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { startServer, type RunningServer } from '../../src-main/http/server';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function call(url: string, token: string, method: string, input: unknown): Promise<any> {
  const response = await fetch(`${url}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  });
  return response.json();
}

describe('assignment under concurrent HTTP clients', () => {
  it('never exceeds the overlap, never gives a rater an item twice, and keeps every acknowledged submit', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 12, overlap: 3 });
    const raters = Array.from({ length: 16 }, (_, index) => makeRater(project, campaignId, `rater-${index}`));
    server = await startServer({ project, events: new EventBus(), researcherToken: crypto.randomUUID(), port: 0 });
    const url = server.url;
    const acknowledged: number[] = [];
    // Every rater fetches and submits as fast as it can, all at once.
    await Promise.all(
      raters.map(async (rater) => {
        for (;;) {
          const next = await call(url, rater.token, 'rater.next', { count: 2 });
          expect(next.ok).toBe(true);
          const [item] = next.value.items;
          if (!item) return;
          const submitted = await call(url, rater.token, 'rater.submit', {
            assignmentId: item.assignmentId,
            answer: { concept: item.questions[0].options[0].value },
            activeMs: 50,
          });
          if (submitted.ok) acknowledged.push(submitted.value.judgementId);
          else expect(submitted.error.code).toBe('conflict');
        }
      }),
    );
    const perItem = project.db
      .prepare("SELECT item_id, COUNT(*) AS n FROM assignments WHERE status = 'submitted' GROUP BY item_id")
      .all() as { n: number }[];
    expect(perItem).toHaveLength(12);
    expect(Math.max(...perItem.map((row) => row.n))).toBe(3);
    expect(perItem.every((row) => row.n === 3)).toBe(true);
    const duplicates = project.db
      .prepare(
        'SELECT COUNT(*) FROM (SELECT item_id, rater_id FROM assignments GROUP BY item_id, rater_id HAVING COUNT(*) > 1)',
      )
      .pluck()
      .get();
    expect(duplicates).toBe(0);
    const stored = project.db.prepare("SELECT id FROM judgements WHERE action = 'submit'").pluck().all() as number[];
    expect(acknowledged.sort((a, b) => a - b)).toEqual(stored.sort((a, b) => a - b));
    expect(acknowledged).toHaveLength(36);
  });
});
