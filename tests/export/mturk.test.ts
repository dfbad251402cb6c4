import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { exportCampaign } from '../../src-main/export';
import { importMturkResults } from '../../src-main/export/import-mturk';
import { firstInvalidUtf8 } from '../../src-main/util/utf8';
import { findCampaignByName } from '../../src-main/store/campaigns';
import { makeProject, tempDir } from '../helpers/factories';
import { ratedConceptCampaign, ratedFeatureLabelCampaign } from './fixtures';

/** Answers keyed by (worker label, item payload): what a round trip must preserve. */
function answersByWorkerAndItem(
  project: ReturnType<typeof makeProject>,
  campaignId: number,
  worker: 'pseudonym' | 'name',
) {
  const rows = project.db
    .prepare(
      `SELECT r.${worker} AS worker, i.payload_json, i.hidden_json, j.answer_json, j.shown_json FROM judgements j
       JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = a.item_id JOIN raters r ON r.id = a.rater_id
       WHERE i.campaign_id = ? AND j.action = 'submit' AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)`,
    )
    .all(campaignId) as {
    worker: string;
    payload_json: string;
    hidden_json: string;
    answer_json: string;
    shown_json: string;
  }[];
  return new Map(
    rows.map((row) => {
      const hidden = JSON.parse(row.hidden_json);
      delete hidden.mturk_hit_id;
      const order = (JSON.parse(row.shown_json).questions as { id: string; options?: { value: string }[] }[]).map(
        (q) => q.options?.map((o) => o.value) ?? null,
      );
      return [
        `${row.worker}|${JSON.stringify(JSON.parse(row.payload_json))}`,
        { answer: JSON.parse(row.answer_json), hidden, order },
      ];
    }),
  );
}

describe('MTurk results CSV', () => {
  it('exports the MTurk columns', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project, 3);
    const result = await exportCampaign(project.db, campaignId, {
      format: 'mturk',
      out: path.join(tempDir(), 'Batch_results.csv'),
    });
    const rows = parse(fs.readFileSync(result.path, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(9);
    expect(Object.keys(rows[0]).slice(0, 8)).toEqual([
      'HITId',
      'HITTypeId',
      'AssignmentId',
      'WorkerId',
      'AssignmentStatus',
      'AcceptTime',
      'SubmitTime',
      'WorkTimeInSeconds',
    ]);
    expect(Object.keys(rows[0])).toEqual(
      expect.arrayContaining([
        'Input.question',
        'Input.answer',
        'Input.options',
        'Answer.concept',
        'Hidden.target_class',
        'Sightline.ShownOrder',
      ]),
    );
    expect(rows[0].WorkerId).toMatch(/^R\d{3}$/);
    expect(rows[0].SubmitTime).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/);
    expect(new Set(rows.map((row) => row.HITId)).size).toBe(3);
  });

  it('round trip: export -> import into a new campaign gives the same judgements per worker per item', async () => {
    const project = makeProject();
    for (const make of [ratedConceptCampaign, ratedFeatureLabelCampaign] as const) {
      const { campaignId } = make(project);
      const source = findCampaignByName(
        project.db,
        project.db.prepare('SELECT name FROM campaigns WHERE id = ?').pluck().get(campaignId) as string,
      );
      const file = path.join(tempDir(), 'Batch_results.csv');
      await exportCampaign(project.db, campaignId, { format: 'mturk', out: file });
      const imported = importMturkResults(project.db, { campaignName: `${source.name} (reimported)`, file });
      expect(imported.template).toEqual({ id: source.template.id, version: source.template.version, inferred: true });
      const before = answersByWorkerAndItem(project, campaignId, 'pseudonym');
      const after = answersByWorkerAndItem(project, imported.campaignId, 'name');
      expect(after.size).toBe(before.size);
      expect(after).toEqual(before); // same answers, payloads, hidden fields and shown option order
      const again = await exportCampaign(project.db, imported.campaignId, {
        format: 'mturk',
        out: path.join(tempDir(), 'again.csv'),
      });
      const original = parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
      const second = parse(fs.readFileSync(again.path, 'utf8'), { columns: true }) as Record<string, string>[];
      // HIT and assignment ids survive a second round trip.
      expect(second.map((row) => row.HITId).sort()).toEqual(original.map((row) => row.HITId).sort());
      expect(second.map((row) => row.AssignmentId).sort()).toEqual(original.map((row) => row.AssignmentId).sort());
    }
  });

  it('imports a plain MTurk file, inferring a template, with quoted newlines and MTurk times', async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'Batch_1_results.csv');
    fs.writeFileSync(
      file,
      [
        'HITId,HITTypeId,AssignmentId,WorkerId,AssignmentStatus,AcceptTime,SubmitTime,WorkTimeInSeconds,Input.text,Answer.Q1,Answer.comment',
        'H1,T,A1,W1,Approved,Wed Jan 15 09:12:34 PST 2020,Wed Jan 15 09:13:04 PST 2020,30,"line one\nline two",yes,"said ""hi"""',
        'H1,T,A2,W2,Approved,Wed Jan 15 09:12:40 PST 2020,Wed Jan 15 09:13:00 PST 2020,20,"line one\nline two",no,',
        'H2,T,A3,W1,Approved,Wed Jan 15 09:14:00 PST 2020,Wed Jan 15 09:14:10 PST 2020,10,second,yes,ok',
        'H2,T,A4,W3,Rejected,Wed Jan 15 09:14:00 PST 2020,Wed Jan 15 09:14:10 PST 2020,10,second,no,spam',
      ].join('\r\n'),
    );
    const result = importMturkResults(project.db, { campaignName: 'mturk study', file });
    expect(result).toMatchObject({
      items: 2,
      raters: 2,
      judgements: 3,
      skippedRejected: 1,
      template: { id: 'mturk-import', inferred: true },
    });
    const campaign = findCampaignByName(project.db, 'mturk study');
    expect(campaign.template.questions.map((q) => [q.id, q.type])).toEqual([
      ['q1', 'choice'],
      ['comment', 'text'],
    ]);
    const first = project.db
      .prepare(
        'SELECT j.answer_json, j.submitted_at, j.active_ms, i.payload_json FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = a.item_id ORDER BY j.id LIMIT 1',
      )
      .get() as { answer_json: string; submitted_at: number; active_ms: number; payload_json: string };
    expect(JSON.parse(first.answer_json)).toEqual({ q1: 'yes', comment: 'said "hi"' });
    expect(JSON.parse(first.payload_json)).toEqual({ text: 'line one\nline two' });
    expect(first.submitted_at).toBe(Date.UTC(2020, 0, 15, 17, 13, 4));
    expect(first.active_ms).toBe(30_000);
  });

  it('refuses non-UTF-8 input naming the file, byte offset and line, and writes nothing', async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'latin1.csv');
    const header = Buffer.from('HITId,WorkerId,Input.text,Answer.label\r\nH1,W1,ok,fine\r\nH2,W1,caf');
    fs.writeFileSync(file, Buffer.concat([header, Buffer.from([0xe9]), Buffer.from(',bad\r\n')]));
    const before = project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get();
    expect(() => importMturkResults(project.db, { campaignName: 'latin1', file })).toThrow(
      `${file}: not valid UTF-8: byte 0xe9 at byte offset ${header.length} (line 3)`,
    );
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(before);
  });

  it('rolls back everything when a row is invalid', async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'bad.csv');
    fs.writeFileSync(file, 'HITId,WorkerId,Input.text,Answer.score\nH1,W1,a,3\nH2,W1,b,3\nH3,W2,c,4\nH3,W2,c,5\n');
    expect(() => importMturkResults(project.db, { campaignName: 'dup', file })).toThrow(
      /line 5: expected one row per worker per HIT/,
    );
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(0);
    expect(project.db.prepare('SELECT COUNT(*) FROM judgements').pluck().get()).toBe(0);
  });

  it('finds the first invalid UTF-8 byte (overlongs and surrogates included)', async () => {
    expect(firstInvalidUtf8(Buffer.from('héllo ✓ 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // truncated
  });
});
