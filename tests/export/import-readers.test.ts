// Each results reader refuses a bad file with bad_file naming the file, the row (line, row, task)
// and the field, and a refused import leaves the project as it was (issue 11).
import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { exportCampaign, type ExportFormat } from '../../src-main/export';
import { importResults, type ImportFormat } from '../../src-main/export/import';
import { AppError } from '../../src-main/util/errors';
import { makeProject, tempDir } from '../helpers/factories';
import { databaseFingerprint } from '../helpers/fuzz';
import { ratedTemplateCampaign } from './template-fixtures';

async function exported(format: ExportFormat, name: string, templateId = 'pairwise'): Promise<string> {
  const project = makeProject();
  const { campaignId } = ratedTemplateCampaign(project, templateId, 2);
  return (await exportCampaign(project.db, campaignId, { format, out: path.join(tempDir(), name) })).path;
}

/** Rewrites a text file's content. */
function edited(file: string, change: (text: string) => string): string {
  const out = path.join(tempDir(), path.basename(file));
  fs.writeFileSync(out, change(fs.readFileSync(file, 'utf8')));
  return out;
}

async function expectRefused(file: string, message: string, format?: ImportFormat): Promise<void> {
  const project = makeProject();
  const before = databaseFingerprint(project.db);
  const error = await importResults(project.db, { campaignName: 'bad', file, format }).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('bad_file');
  expect((error as AppError).message).toContain(message);
  expect(databaseFingerprint(project.db)).toBe(before);
}

describe('results readers refuse bad files naming file, row and field', () => {
  it("JSONL: a line that is not JSON, an answer that is not an object, an order that is not the question's, a bad time, an answer not an option, an item that disagrees with itself", async () => {
    const file = await exported('jsonl', 'r.jsonl');
    const lines = (text: string) => text.trimEnd().split('\n');
    const second = (change: (line: Record<string, unknown>) => void) =>
      edited(file, (text) =>
        lines(text)
          .map((line, index) => {
            if (index !== 1) return line;
            const record = JSON.parse(line) as Record<string, unknown>;
            change(record);
            return JSON.stringify(record);
          })
          .join('\n'),
      );
    let bad = edited(file, (text) =>
      lines(text)
        .map((line, index) => (index === 1 ? line.slice(0, 20) : line))
        .join('\n'),
    );
    await expectRefused(bad, `${bad}: line 2: expected one JSON object (a judgement)`);
    bad = second((line) => (line.answer = 'left'));
    await expectRefused(bad, `${bad}: line 2: answer: expected an object of answers by question id`);
    bad = second((line) => (line.shown_order = { preference: ['left', 'right', 'maybe'], '@pairs': [['a', 'b']] }));
    await expectRefused(bad, `${bad}: line 2: shown_order: expected preference: the options`);
    bad = second((line) => (line.submitted_at = 'yesterday'));
    await expectRefused(bad, `${bad}: line 2: submitted_at: expected an ISO 8601 time`);
    bad = second((line) => (line.answer = { preference: 'maybe' }));
    await expectRefused(bad, `${bad}: line 2: answer.preference`);
    bad = second((line) => (line.payload = { prompt: 'another item under the same id' }));
    // Line 2's item appears again on line 4 with the payload it had: the two disagree.
    await expectRefused(
      bad,
      `${bad}: line 4: expected the same payload, hidden fields, condition, kind and position as line 2`,
    );
  });

  it('CSV: an unknown item kind, a negative item position, an empty rater', async () => {
    const file = await exported('csv', 'r.csv');
    const cell = (column: string, value: string) =>
      edited(file, (text) => {
        const rows = text.split('\r\n');
        const at = rows[0].split(',').indexOf(column);
        // Only the leading columns are edited here (no quoted commas before them in this file).
        rows[2] = rows[2]
          .split(',')
          .map((cellText, index) => (index === at ? value : cellText))
          .join(',');
        return rows.join('\r\n');
      });
    let bad = cell('item_kind', '"bogus"');
    await expectRefused(bad, `${bad}: line 3: item_kind: expected normal, gold, attention or qualification`);
    bad = cell('item_position', '-1');
    await expectRefused(bad, `${bad}: line 3: item_position: expected a whole number`);
    bad = cell('rater', '');
    await expectRefused(bad, `${bad}: line 3: rater: expected the rater's pseudonym`);
  });

  it('Label Studio: a region type it cannot read, a missing created_at, not an array', async () => {
    const file = await exported('labelstudio', 'r.labelstudio.json');
    const change = (edit: (tasks: Record<string, any>[]) => void) =>
      edited(file, (text) => {
        const tasks = JSON.parse(text);
        edit(tasks);
        return JSON.stringify(tasks);
      });
    let bad = change((tasks) => (tasks[1].annotations[0].result[0].type = 'rectanglelabels'));
    await expectRefused(
      bad,
      `${bad}: task 2, annotation 1: result[0]: type: expected choices, rating, number or textarea`,
    );
    bad = change((tasks) => delete tasks[0].annotations[1].created_at);
    await expectRefused(bad, `${bad}: task 1, annotation 2: created_at: expected an ISO 8601 time`);
    bad = edited(file, () => '{"data":{}}');
    await expectRefused(bad, `${bad}: document: expected a JSON array of Label Studio tasks`);
  });

  it('Parquet: a JSON column that is not JSON, a missing column, not Parquet at all', async () => {
    const file = await exported('parquet', 'r.parquet');
    const { parquetReadObjects } = await import('hyparquet');
    const bytes = fs.readFileSync(file);
    const rows = (await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    })) as Record<string, unknown>[];
    const write = (name: string, columns: string[], change: (row: Record<string, unknown>, index: number) => void) => {
      const changed = rows.map((row, index) => {
        const copy = { ...row };
        change(copy, index);
        return copy;
      });
      const out = path.join(tempDir(), name);
      const columnData = columns.map((column) => ({
        name: column,
        data: changed.map((row) => row[column]) as never,
        ...(column.endsWith('_at') ? { type: 'TIMESTAMP' as const } : {}),
      }));
      fs.writeFileSync(out, Buffer.from(parquetWriteBuffer({ columnData })));
      return out;
    };
    const all = Object.keys(rows[0]);
    let bad = write('bad-answer.parquet', all, (row, index) => index === 2 && (row.answer = '{"preference":'));
    await expectRefused(bad, `${bad}: row 3: answer: expected JSON text`);
    bad = write(
      'no-rater.parquet',
      all.filter((column) => column !== 'rater'),
      () => {},
    );
    await expectRefused(bad, `${bad}: schema: expected a rater column`);
    bad = edited(file, () => 'not parquet');
    await expectRefused(bad, `${bad}: not a readable Parquet file`, 'parquet');
  });

  it('Hugging Face: a folder without data/*.parquet', async () => {
    const folder = tempDir();
    fs.writeFileSync(path.join(folder, 'README.md'), '# not a dataset');
    await expectRefused(folder, `${folder}: data/: expected one or more .parquet files`);
  });

  it('Neuronpedia explanation rows are not judgements: refused by name and by content', async () => {
    const project = makeProject();
    const named = path.join(tempDir(), 'labels.neuronpedia.jsonl');
    const line = JSON.stringify({
      modelId: 'gemma-2-2b',
      layer: '20-gemmascope',
      index: '7',
      description: 'dogs',
      typeName: 'oai_token-act-pair',
      explanationModelName: 'R001',
    });
    fs.writeFileSync(named, `${line}\n`);
    await expect(importResults(project.db, { campaignName: 'np', file: named })).rejects.toThrow(
      /per-feature explanations, not judgements/,
    );
    const plain = path.join(tempDir(), 'labels.jsonl');
    fs.writeFileSync(plain, `${line}\n`);
    await expectRefused(
      plain,
      `${plain}: line 1: expected a judgement (Neuronpedia explanation rows are per-feature explanations`,
    );
  });
});
