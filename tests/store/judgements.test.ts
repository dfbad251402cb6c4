import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextItems, submitJudgement, undoLastSubmission } from '../../src-main/domain/rating';
import { openProject } from '../../src-main/project/project';
import { makeConceptCampaign, makeProject, makeRater, tempDir } from '../helpers/factories';

const firstOptionAnswer = (item: { questions: { id: string; type: string; options?: { value: string }[] }[] }) => ({
  [item.questions[0].id]: item.questions[0].options![0].value,
});

describe('judgements are append-only', () => {
  it('refuse UPDATE and DELETE at the database level', () => {
    const project = makeProject();
    const rater = makeRater(project, makeConceptCampaign(project), 'ana');
    const [item] = nextItems(project.db, rater, 1).items;
    const { judgementId } = submitJudgement(project.db, rater, {
      assignmentId: item.assignmentId,
      answer: firstOptionAnswer(item),
      activeMs: 1200,
    });
    expect(() => project.db.prepare("UPDATE judgements SET answer_json = '{}' WHERE id = ?").run(judgementId)).toThrow(
      /append-only/,
    );
    expect(() => project.db.prepare('DELETE FROM judgements WHERE id = ?').run(judgementId)).toThrow(/append-only/);
  });

  it('undo writes a superseding row, keeps the original, and hands the item back to the same rater', () => {
    const project = makeProject();
    const rater = makeRater(project, makeConceptCampaign(project), 'ana');
    const [item] = nextItems(project.db, rater, 1).items;
    const answer = firstOptionAnswer(item);
    const { judgementId } = submitJudgement(project.db, rater, {
      assignmentId: item.assignmentId,
      answer,
      activeMs: 900,
    });
    const undone = undoLastSubmission(project.db, rater);
    expect(undone.item?.assignmentId).toBe(item.assignmentId);
    // The answer taken back comes with it, so the page can show it selected again (issue 15).
    expect(undone.previousAnswer).toEqual(answer);
    expect(undone.item?.questions).toEqual(item.questions); // same shown order
    const rows = project.db
      .prepare('SELECT id, action, answer_json, supersedes_id FROM judgements ORDER BY id')
      .all() as {
      id: number;
      action: string;
      answer_json: string | null;
      supersedes_id: number | null;
    }[];
    expect(rows).toEqual([
      { id: judgementId, action: 'submit', answer_json: JSON.stringify(answer), supersedes_id: null },
      { id: judgementId + 1, action: 'undo', answer_json: null, supersedes_id: judgementId },
    ]);
    // A second undo has nothing live left to undo.
    expect(undoLastSubmission(project.db, rater)).toMatchObject({ item: null, previousAnswer: null });
    // Re-answering appends a third row.
    submitJudgement(project.db, rater, { assignmentId: item.assignmentId, answer, activeMs: 500 });
    expect(project.db.prepare('SELECT COUNT(*) FROM judgements').pluck().get()).toBe(3);
  });

  it('survive the process being killed right after submit returns', async () => {
    const dir = path.join(tempDir(), 'crash.sightline');
    const project = openProject(dir, { create: true });
    const campaignId = makeConceptCampaign(project);
    const rater = makeRater(project, campaignId, 'ana');
    project.close();

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'submit-child.ts'), dir, rater.token],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const judgementId = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /submitted (\d+)/.exec(chunk.toString());
        if (match) {
          child.kill('SIGKILL'); // no close(), no checkpoint: only what synchronous=FULL made durable
          resolve(Number(match[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`child exited (${code}) before submitting: ${stderr}`)));
    });
    await new Promise((resolve) => child.on('exit', resolve));

    const reopened = openProject(dir);
    const row = reopened.db.prepare('SELECT action, active_ms FROM judgements WHERE id = ?').get(judgementId);
    reopened.close();
    expect(row).toEqual({ action: 'submit', active_ms: 4321 });
  });
});
