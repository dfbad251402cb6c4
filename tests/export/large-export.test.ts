// The large formats over a campaign of several export batches and two Parquet row groups, read on
// two connections (batch-reader.ts): every live judgement once, in judgement order, with its own
// values (an item's ratings fall in different batches, and undone judgements sit between live
// ones). Expected values come from the stored rows through plain JSON.parse, not the export's SQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportCampaign, type ExportFormat } from '../../src-main/export';
import { BatchReader } from '../../src-main/export/batch-reader';
import { ROW_GROUP_ROWS } from '../../src-main/export/parquet';
import { BATCH_ROWS } from '../../src-main/store/export-sql';
import { openProject, type Project } from '../../src-main/project/project';
import { tempDir } from '../helpers/factories';
import { bulkConceptCampaign } from './fixtures';

interface Expected {
  judgement_id: number;
  item_id: number;
  item_position: number;
  item_kind: string;
  rater: string;
  answer: { concept: string };
  shown_order: unknown;
  active_ms: number;
  leased_at: string;
  submitted_at: string;
  payload: Record<string, unknown>;
  hidden: Record<string, unknown>;
  condition: string | null;
}

let project: Project;
let campaignId: number;
let expected: Expected[];

// One project for the file (the factories' projects last one test): building it is the slow part.
const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-large-export-'));
afterAll(() => {
  project?.close();
  fs.rmSync(projectDir, { recursive: true, force: true });
});

beforeAll(() => {
  project = openProject(path.join(projectDir, 'bulk.sightline'), { create: true });
  ({ campaignId } = bulkConceptCampaign(project, { items: 12_000, overlap: 5, raters: 40 }));
  const rows = project.db
    .prepare(
      `SELECT j.id AS judgement_id, i.id AS item_id, i.position AS item_position, i.kind AS item_kind, r.pseudonym AS rater, j.answer_json, j.shown_order,
              j.active_ms, a.leased_at, j.submitted_at, i.payload_json, i.hidden_json, i.condition
       FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = a.item_id JOIN raters r ON r.id = a.rater_id
       WHERE i.campaign_id = ? AND j.action = 'submit' AND j.id NOT IN (SELECT supersedes_id FROM judgements WHERE supersedes_id IS NOT NULL)
       ORDER BY j.id`,
    )
    .all(campaignId) as Record<string, never>[];
  expected = rows.map((row) => ({
    judgement_id: row.judgement_id,
    item_id: row.item_id,
    item_position: row.item_position,
    item_kind: row.item_kind,
    rater: row.rater,
    answer: JSON.parse(row.answer_json),
    shown_order: JSON.parse(row.shown_order),
    active_ms: row.active_ms,
    leased_at: new Date(row.leased_at).toISOString(),
    submitted_at: new Date(row.submitted_at).toISOString(),
    payload: JSON.parse(row.payload_json),
    hidden: JSON.parse(row.hidden_json),
    condition: row.condition,
  }));
  // The shape this test relies on: several batches, two row groups, superseded rows in between.
  expect(expected).toHaveLength(60_000);
  expect(expected.length).toBeGreaterThan(ROW_GROUP_ROWS);
  expect(expected.length).toBeGreaterThan(4 * BATCH_ROWS);
  expect(expected.at(-1)!.judgement_id).toBeGreaterThan(expected.length);
}, 120_000);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Exports the campaign; at this size the batch queries are shared with the batch reader thread. */
async function exportAs(format: ExportFormat) {
  const taken = vi.spyOn(BatchReader.prototype, 'take');
  const result = await exportCampaign(project.db, campaignId, { format, out: path.join(tempDir(), `bulk.${format}`) });
  expect(result.rows).toBe(expected.length);
  expect(taken).toHaveBeenCalled();
  return result.path;
}

describe('large exports (several batches, two row groups)', () => {
  it('JSONL: every live judgement once, in order, with its values', async () => {
    const lines = fs
      .readFileSync(await exportAs('jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, index) => {
      const { campaign, assignment_id, ...record } = JSON.parse(line);
      expect(campaign).toBe('Bulk concept');
      expect(assignment_id).toEqual(expect.any(Number));
      expect(record).toEqual(expected[index]);
    });
  });

  it('CSV: every live judgement once, in order, with its values', async () => {
    const rows = parse(fs.readFileSync(await exportAs('csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, index) => {
      const want = expected[index];
      expect(row).toEqual({
        campaign: 'Bulk concept',
        judgement_id: String(want.judgement_id),
        item_id: String(want.item_id),
        item_position: String(want.item_position),
        item_kind: want.item_kind,
        rater: want.rater,
        'answer.concept': want.answer.concept,
        shown_order: JSON.stringify(want.shown_order),
        active_ms: String(want.active_ms),
        leased_at: want.leased_at,
        submitted_at: want.submitted_at,
        condition: want.condition ?? '',
        'payload.question': want.payload.question,
        'payload.answer': want.payload.answer,
        'payload.options': JSON.stringify(want.payload.options),
        ...Object.fromEntries(Object.entries(want.hidden).map(([key, value]) => [`hidden.${key}`, String(value)])),
      });
    });
  });

  it('Parquet: every live judgement once, in order, with its values (read with hyparquet)', async () => {
    const bytes = fs.readFileSync(await exportAs('parquet'));
    const rows = (await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    })) as Record<string, unknown>[];
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, index) => {
      const want = expected[index];
      expect({
        ...row,
        answer: JSON.parse(row.answer as string),
        shown_order: JSON.parse(row.shown_order as string),
        payload: JSON.parse(row.payload as string),
        hidden: JSON.parse(row.hidden as string),
        leased_at: (row.leased_at as Date).toISOString(),
        submitted_at: (row.submitted_at as Date).toISOString(),
      }).toEqual({ ...want, campaign: 'Bulk concept', answer_concept: want.answer.concept });
    });
  });
});
