import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { contract, methodNames, type MethodName } from '../../src-main/contract';
import type { Project } from '../../src-main/project/project';
import { asRater, contextFor, makeConceptCampaign, makeProject, makeRater, researcher } from '../helpers/factories';

/** A fingerprint of every table's rows, to prove a refused call wrote nothing. */
function snapshot(project: Project): string {
  const tables = project.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return JSON.stringify(tables.map((table) => [table, project.db.prepare(`SELECT * FROM ${table}`).all()]));
}

describe('contract', () => {
  it('every method rejects malformed input with a typed error and writes nothing', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project);
    const rater = makeRater(project, campaignId, 'ana');
    const before = snapshot(project);
    for (const name of methodNames) {
      const caller = contract[name].role === 'researcher' ? researcher : asRater(rater);
      for (const bad of [{ unexpectedField: 1 }, 'not an object', [1, 2, 3]]) {
        const result = await dispatch(name, bad, contextFor(project, caller));
        expect(result, `${name} accepted ${JSON.stringify(bad)}`).toMatchObject({
          ok: false,
          error: { code: 'invalid_input' },
        });
      }
    }
    // Wrong types on real fields name the field.
    const wrongType = await dispatch('raters.add', { campaignId: 'one', name: 'x' }, contextFor(project, researcher));
    expect(wrongType).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('campaignId') },
    });
    const negative = await dispatch(
      'rater.submit',
      { assignmentId: -1, answer: {}, activeMs: 5 },
      contextFor(project, asRater(rater)),
    );
    expect(negative).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('assignmentId') },
    });
    expect(snapshot(project)).toBe(before);
  });

  it('a rater token cannot call any researcher method, and a researcher cannot act as a rater', async () => {
    const project = makeProject();
    const rater = makeRater(project, makeConceptCampaign(project), 'ana');
    const before = snapshot(project);
    for (const name of methodNames) {
      const wrongCaller = contract[name].role === 'researcher' ? asRater(rater) : researcher;
      const result = await dispatch(name, {}, contextFor(project, wrongCaller));
      expect(result, name).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(snapshot(project)).toBe(before);
  });

  it("a rater cannot submit, skip or flag another rater's item", async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project);
    const ana = makeRater(project, campaignId, 'ana');
    const ben = makeRater(project, campaignId, 'ben');
    const anaNext = await dispatch('rater.next', { count: 1 }, contextFor(project, asRater(ana)));
    const anaItem = (
      anaNext as {
        ok: true;
        value: { items: { assignmentId: number; questions: { id: string; options: { value: string }[] }[] }[] };
      }
    ).value.items[0];
    const before = snapshot(project);
    const answer = { [anaItem.questions[0].id]: anaItem.questions[0].options[0].value };
    for (const [name, input] of [
      ['rater.submit', { assignmentId: anaItem.assignmentId, answer, activeMs: 10 }],
      ['rater.skip', { assignmentId: anaItem.assignmentId }],
      ['rater.flag', { assignmentId: anaItem.assignmentId, comment: 'x' }],
    ] as const) {
      const result = await dispatch(name, input, contextFor(project, asRater(ben)));
      expect(result, name).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
    expect(snapshot(project)).toBe(before);
  });

  it('hidden fields never appear in any rater response', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 8, overlap: 3 });
    // Mark every hidden value so any leak is visible whatever its key.
    project.db
      .prepare(
        "UPDATE items SET hidden_json = json_set(hidden_json, '$.secret', 'SENTINEL-HIDDEN-' || id), condition = 'SENTINEL-CONDITION'",
      )
      .run();
    const rater = makeRater(project, campaignId, 'ana');
    const ctx = contextFor(project, asRater(rater));
    const responses: unknown[] = [];
    const call = async (name: MethodName, input: unknown) => {
      const result = await dispatch(name, input, ctx);
      responses.push(result);
      return result as { ok: true; value: any };
    };
    // Exercise every rater method (the table below must cover them all).
    const exercised = new Set<string>();
    const run = async (name: MethodName, input: unknown) => (exercised.add(name), call(name, input));
    await run('rater.session', {});
    let next = await run('rater.next', { count: 3 });
    for (let round = 0; round < 4 && next.value.items.length; round++) {
      const [item] = next.value.items;
      await run('rater.flag', { assignmentId: item.assignmentId, comment: 'checking' });
      await run('rater.submit', {
        assignmentId: item.assignmentId,
        answer: { concept: item.questions[0].options[1].value },
        activeMs: 800,
      });
      next = await run('rater.next', { count: 2 });
    }
    await run('rater.undo', {});
    next = await run('rater.next', { count: 2 });
    await run('rater.skip', { assignmentId: next.value.items[0].assignmentId });
    const raterMethods = methodNames.filter((name) => contract[name].role === 'rater');
    expect([...exercised].sort()).toEqual([...raterMethods].sort());

    const text = JSON.stringify(responses);
    expect(responses.every((response) => (response as { ok: boolean }).ok)).toBe(true);
    expect(text).not.toMatch(/SENTINEL/);
    for (const key of ['target_class', 'source_class', 'correct', '"k"', 'layer', 'hidden', 'condition'])
      expect(text).not.toContain(key);
  });
});
