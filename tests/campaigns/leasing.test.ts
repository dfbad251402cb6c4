import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextItems, skipItem, submitJudgement } from '../../src-main/domain/rating';
import { openProject } from '../../src-main/project/project';
import { findRaterByToken } from '../../src-main/store/raters';
import { TEST_EPOCH_MS } from '../helpers/clock';
import { makeConceptCampaign, makeProject, makeRater, tempDir } from '../helpers/factories';

const answerFirst = (item: { assignmentId: number; questions: any[] }) => ({
  assignmentId: item.assignmentId,
  answer: { concept: item.questions[0].options[0].value },
  activeMs: 100,
});

describe('leases', () => {
  // Time is the `now` each step is given (the API passes the project's clock): no sleeping, and the
  // lease runs out exactly leaseSeconds after it was handed out.
  it('an expired lease is reissued to another rater, and the late submit is refused once the item is full', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 1, overlap: 1, leaseSeconds: 600 });
    const ana = makeRater(project, campaignId, 'ana');
    const ben = makeRater(project, campaignId, 'ben');
    const t0 = TEST_EPOCH_MS;
    const [anaItem] = nextItems(project.db, ana, 1, t0).items;
    expect(anaItem.leaseExpiresAt).toBe(t0 + 600_000);
    expect(nextItems(project.db, ben, 1, t0 + 599_999).items).toHaveLength(0); // still held by ana
    const [benItem] = nextItems(project.db, ben, 1, t0 + 600_000).items; // ana's lease has run out
    expect(benItem).toBeDefined();
    submitJudgement(project.db, ben, answerFirst(benItem), t0 + 601_000);
    expect(() => submitJudgement(project.db, ana, answerFirst(anaItem), t0 + 602_000)).toThrow(
      /lease expired and the item went to other raters/,
    );
  });

  it('a late submit is accepted while the item still has room', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 1, overlap: 2, leaseSeconds: 600 });
    const ana = makeRater(project, campaignId, 'ana');
    const [item] = nextItems(project.db, ana, 1, TEST_EPOCH_MS).items;
    expect(submitJudgement(project.db, ana, answerFirst(item), TEST_EPOCH_MS + 3_600_000).judgementId).toBeGreaterThan(
      0,
    );
  });

  it('a rater never gets the same item twice, even after skipping it', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 3, overlap: 3 });
    const ana = makeRater(project, campaignId, 'ana');
    const seen: number[] = [];
    for (let round = 0; round < 5; round++) {
      const [item] = nextItems(project.db, ana, 1).items;
      if (!item) break;
      const itemId = project.db
        .prepare('SELECT item_id FROM assignments WHERE id = ?')
        .pluck()
        .get(item.assignmentId) as number;
      seen.push(itemId);
      if (round % 2) skipItem(project.db, ana, item.assignmentId);
      else submitJudgement(project.db, ana, answerFirst(item));
    }
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
  });

  it('overlap holds when two connections (two processes) lease the same items concurrently', () => {
    const dir = path.join(tempDir(), 'two.sightline');
    const first = openProject(dir, { create: true });
    const campaignId = makeConceptCampaign(first, { items: 5, overlap: 2 });
    const raters = Array.from({ length: 8 }, (_, index) => makeRater(first, campaignId, `r${index}`));
    const second = openProject(dir);
    try {
      // Interleave leases from both connections; IMMEDIATE transactions serialise them.
      for (const [index, rater] of raters.entries()) {
        const db = index % 2 ? second.db : first.db;
        const self = findRaterByToken(db, rater.token)!;
        for (const item of nextItems(db, self, 2).items) submitJudgement(db, self, answerFirst(item));
      }
      const perItem = first.db
        .prepare("SELECT item_id, COUNT(*) AS n FROM assignments WHERE status = 'submitted' GROUP BY item_id")
        .all() as { n: number }[];
      expect(perItem).toHaveLength(5);
      expect(perItem.every((row) => row.n === 2)).toBe(true);
    } finally {
      second.close();
      first.close();
    }
  });

  it('judgements are readable by an independent reader (WAL) right after submit', () => {
    const project = makeProject();
    const ana = makeRater(project, makeConceptCampaign(project), 'ana');
    const [item] = nextItems(project.db, ana, 1).items;
    submitJudgement(project.db, ana, answerFirst(item));
    const reader = new Database(project.db.name, { readonly: true });
    expect(reader.prepare("SELECT COUNT(*) FROM judgements WHERE action = 'submit'").pluck().get()).toBe(1);
    reader.close();
  });
});

describe('instructions versions', () => {
  it('a new version of the instructions is recorded with the items handed out after it', async () => {
    const { dispatch } = await import('../../src-main/api/dispatch');
    const { contextFor, researcher } = await import('../helpers/factories');
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 4, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [before] = nextItems(project.db, ana, 1).items;
    submitJudgement(project.db, ana, answerFirst(before));
    const bumped = await dispatch(
      'campaigns.setInstructions',
      { campaignId, instructions: 'Read carefully.\n\n- new rule' },
      contextFor(project, researcher),
    );
    expect(bumped).toEqual({ ok: true, value: { instructionsVersion: 2 } });
    const [after] = nextItems(project.db, ana, 1).items;
    submitJudgement(project.db, ana, answerFirst(after));
    const versions = (
      project.db
        .prepare("SELECT shown_json FROM judgements WHERE action = 'submit' ORDER BY id")
        .pluck()
        .all() as string[]
    ).map((json) => JSON.parse(json).instructionsVersion);
    expect(versions).toEqual([1, 2]);
  });
});
