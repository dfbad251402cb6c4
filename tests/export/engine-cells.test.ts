// What a generic columnar engine could bend, checked on real exports (issue 12): values cross from
// SQLite to DuckDB joined with U+001E, so that character inside a condition, a rater's name or a
// payload value must come out intact; column names are data (payload keys that differ only in
// case, a key with a backslash or a quote) and must come out exactly; and a campaign with no
// judgements yet gives a header-only CSV and an empty JSONL and Parquet file.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { exportCampaign, type ExportFormat } from '../../src-main/export';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import type { Project } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';
import { conceptItems, makeProject, makeRater, tempDir } from '../helpers/factories';
import { rateAll } from './fixtures';

const RS = '\x1e';

function awkwardCampaign(project: Project, rated: boolean) {
  const items = conceptItems(3).map((item, index) => ({
    payload: { ...item.payload, Name: `Upper ${index}`, name: `lower${RS}${index}` },
    hidden: { ...item.hidden, 'a\\b': '=1+1', 'say "hi"': index, 'x/y~z': [index, RS] },
    condition: `k=${index}${RS}back\\slash`,
  }));
  const campaignId = insertCampaign(
    project.db,
    {
      name: `Awkward${RS}"campaign"`,
      template: BUILTIN_TEMPLATES['concept-choice'],
      instructions: 'Pick one.',
      overlap: 2,
      leaseSeconds: 600,
      seed: 3,
    },
    items,
  );
  if (rated)
    for (const name of [`ana${RS}`, '@ben'])
      rateAll(project, makeRater(project, campaignId, name), (item) => {
        const question = item.questions[0];
        return { concept: question.type === 'choice' ? question.options[0].value : '' };
      });
  return { campaignId, items };
}

const exportTo = (project: Project, campaignId: number, format: ExportFormat) =>
  exportCampaign(project.db, campaignId, { format, out: path.join(tempDir(), `out.${format}`), revealRaters: true });

async function parquetRows(file: string) {
  const bytes = fs.readFileSync(file);
  return (await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  })) as Record<string, unknown>[];
}

describe('engine exports keep awkward values and names exactly', () => {
  it('CSV: exact column names, U+001E and backslashes intact, text neutralised', async () => {
    const project = makeProject();
    const { campaignId, items } = awkwardCampaign(project, true);
    const result = await exportTo(project, campaignId, 'csv');
    const text = fs.readFileSync(result.path, 'utf8');
    const [header, ...records] = parse(text) as string[][];
    expect(header).toEqual(
      expect.arrayContaining(['payload.Name', 'payload.name', 'hidden.a\\b', 'hidden.say "hi"', 'hidden.x/y~z']),
    );
    expect(records).toHaveLength(6);
    // Rows end in CRLF, the last one too.
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(8);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    for (const row of rows) {
      const index = Number(row.item_id) - Math.min(...rows.map((r) => Number(r.item_id)));
      expect(row.campaign).toBe(`Awkward${RS}"campaign"`);
      expect(row['payload.Name']).toBe(`Upper ${index}`);
      expect(row['payload.name']).toBe(items[index].payload.name);
      expect(row['hidden.a\\b']).toBe("'=1+1");
      expect(row['hidden.say "hi"']).toBe(String(index));
      expect(row['hidden.x/y~z']).toBe(JSON.stringify([index, RS]));
      expect(row.condition).toBe(items[index].condition);
    }
    expect(new Set(rows.map((row) => row.rater))).toEqual(new Set([`ana${RS}`, "'@ben"]));
  });

  it('JSONL and Parquet: the same values, unchanged', async () => {
    const project = makeProject();
    const { campaignId, items } = awkwardCampaign(project, true);
    const lines = fs
      .readFileSync((await exportTo(project, campaignId, 'jsonl')).path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const parquet = await parquetRows((await exportTo(project, campaignId, 'parquet')).path);
    expect(lines).toHaveLength(6);
    expect(parquet).toHaveLength(6);
    const first = Math.min(...lines.map((line) => line.item_id));
    lines.forEach((line, row) => {
      const item = items[line.item_id - first];
      expect(line.campaign).toBe(`Awkward${RS}"campaign"`);
      expect(line.payload).toEqual(item.payload);
      expect(line.hidden).toEqual(item.hidden);
      expect(line.condition).toBe(item.condition);
      expect(parquet[row]).toMatchObject({
        judgement_id: line.judgement_id,
        rater: line.rater,
        condition: item.condition,
        answer_concept: line.answer.concept,
      });
      expect(JSON.parse(parquet[row].hidden as string)).toEqual(item.hidden);
    });
    expect(new Set(lines.map((line) => line.rater))).toEqual(new Set([`ana${RS}`, '@ben']));
  });

  it('a campaign with no judgements: a header-only CSV, an empty JSONL and a Parquet file with no rows', async () => {
    const project = makeProject();
    const { campaignId } = awkwardCampaign(project, false);
    const csv = await exportTo(project, campaignId, 'csv');
    const text = fs.readFileSync(csv.path, 'utf8');
    expect(csv.rows).toBe(0);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toEqual([expect.stringMatching(/^campaign,judgement_id,/), '']);
    expect(fs.readFileSync((await exportTo(project, campaignId, 'jsonl')).path, 'utf8')).toBe('');
    expect(await parquetRows((await exportTo(project, campaignId, 'parquet')).path)).toEqual([]);
  });
});
