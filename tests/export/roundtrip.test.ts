// Issue 11: an import must never change what raters said. Export -> import into a fresh project ->
// export again gives the same judgements, answers and shown orders (MTurk CSV: the same bytes),
// for every built-in template; a file that does not record the order gets an unknown order, never
// an invented one, and every consumer (exports, provenance, results) says so.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { exportCampaign, type ExportFormat } from '../../src-main/export';
import { csvField } from '../../src-main/export/csv-cells';
import { importMturkResults } from '../../src-main/export/import-mturk';
import { importResults, type ImportFormat } from '../../src-main/export/import';
import type { Project } from '../../src-main/project/project';
import { campaignResults } from '../../src-main/results/report';
import { makeProject, tempDir } from '../helpers/factories';
import { databaseFingerprint } from '../helpers/fuzz';
import { BUILTIN_TEMPLATE_IDS, ratedTemplateCampaign } from './template-fixtures';

const exportTo = (project: Project, campaignId: number, format: ExportFormat, name: string) =>
  exportCampaign(project.db, campaignId, { format, out: path.join(tempDir(), name) });

const jsonl = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * A JSONL judgement without what an MTurk round trip legitimately changes: the campaign's name (the
 * import names a new campaign), times below a second (MTurk writes whole seconds), the hidden
 * field where the import keeps the HIT id, and the item's id and position (an MTurk file has no
 * item order: items are numbered as their HITs first appear; the HIT id itself comes back).
 */
function comparable(line: Record<string, unknown>): Record<string, unknown> {
  const {
    campaign: _campaign,
    leased_at,
    submitted_at,
    hidden,
    item_id: _id,
    item_position: _position,
    ...rest
  } = line;
  const { mturk_hit_id: _hit, ...hiddenRest } = hidden as Record<string, unknown>;
  const seconds = (iso: unknown) => String(iso).replace(/\.\d{3}Z$/, 'Z');
  return { ...rest, hidden: hiddenRest, leased_at: seconds(leased_at), submitted_at: seconds(submitted_at) };
}

/** The file with one column removed, as another tool would write it (csv-parse reads, csvField quotes). */
function withoutColumn(file: string, column: string): string {
  const rows = parse(fs.readFileSync(file, 'utf8'), { bom: true }) as string[][];
  const at = rows[0].indexOf(column);
  expect(at).toBeGreaterThanOrEqual(0);
  const out = path.join(tempDir(), `without-${path.basename(file)}`);
  fs.writeFileSync(
    out,
    rows
      .map((row) =>
        row
          .filter((_, index) => index !== at)
          .map(csvField)
          .join(','),
      )
      .join('\r\n'),
  );
  return out;
}

/** The file with one column's cells rewritten. */
function withCells(file: string, column: string, rewrite: (cell: string, row: number) => string): string {
  const rows = parse(fs.readFileSync(file, 'utf8'), { bom: true }) as string[][];
  const at = rows[0].indexOf(column);
  const out = path.join(tempDir(), `edited-${path.basename(file)}`);
  fs.writeFileSync(
    out,
    rows
      .map((row, r) =>
        row
          .map((cell, index) => (r > 0 && index === at ? rewrite(cell, r) : cell))
          .map(csvField)
          .join(','),
      )
      .join('\r\n'),
  );
  return out;
}

/** The preference question's agreement and each item's majority label, items named by their prompt. */
const preference = (project: Project, campaignId: number) => {
  const results = campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } });
  const question = results.questions.find((entry) => entry.questionId === 'preference')!;
  const prompt = (position: number) =>
    JSON.parse(
      project.db
        .prepare('SELECT payload_json FROM items WHERE campaign_id = ? AND position = ?')
        .pluck()
        .get(campaignId, position) as string,
    ).prompt;
  const labels = results.labels
    .filter((label) => label.questionId === 'preference')
    .map((label) => [prompt(label.itemPosition), label.majority]);
  return { fleiss: question.fleissKappa, ratings: question.ratings, labels: labels.sort(), notes: results.notes };
};

describe('MTurk round trip keeps what raters said', () => {
  it('pairwise: the recorded sides come back, so every preference and the agreement are unchanged', async () => {
    const original = makeProject();
    const { campaignId } = ratedTemplateCampaign(original, 'pairwise', 12);
    const before = preference(original, campaignId);
    expect(before.fleiss).not.toBeNull();
    const file = (await exportTo(original, campaignId, 'mturk', 'Batch_results.csv')).path;
    const copy = makeProject();
    const imported = importMturkResults(copy.db, { campaignName: 'reimported', file });
    expect(preference(copy, imported.campaignId)).toEqual(before);
    const orders = async (project: Project, id: number) =>
      jsonl((await exportTo(project, id, 'jsonl', 'out.jsonl')).path).map((line) => line.shown_order);
    expect(await orders(copy, imported.campaignId)).toEqual(await orders(original, campaignId));
  });

  it.each(BUILTIN_TEMPLATE_IDS)(
    '%s: export -> import into a fresh project -> export again gives the same bytes, answers and shown orders',
    async (templateId) => {
      const original = makeProject();
      const { campaignId } = ratedTemplateCampaign(original, templateId);
      const first = await exportTo(original, campaignId, 'mturk', 'Batch_results.csv');
      const copy = makeProject();
      const imported = importMturkResults(copy.db, { campaignName: `Rated ${templateId}`, file: first.path });
      expect(imported.template).toEqual({ id: templateId, version: expect.any(Number), inferred: true });
      const second = await exportTo(copy, imported.campaignId, 'mturk', 'Batch_results.csv');
      // HITTypeId names the campaign by its id in the project: both are campaign 1 here, so every byte matches.
      expect(fs.readFileSync(second.path, 'utf8')).toBe(fs.readFileSync(first.path, 'utf8'));
      const before = jsonl((await exportTo(original, campaignId, 'jsonl', 'a.jsonl')).path).map(comparable);
      const after = jsonl((await exportTo(copy, imported.campaignId, 'jsonl', 'b.jsonl')).path).map(comparable);
      expect(after).toEqual(before);
      expect(after.every((line) => line.shown_order !== null)).toBe(true);
    },
  );
});

/** Each importable export format, the import format it detects as, and the file that holds its bytes. */
const IMPORTABLE: { export: ExportFormat; import: ImportFormat; name: string; data: (exported: string) => string }[] = [
  { export: 'jsonl', import: 'jsonl', name: 'results.jsonl', data: (exported) => exported },
  { export: 'csv', import: 'csv', name: 'results.csv', data: (exported) => exported },
  { export: 'labelstudio', import: 'label-studio', name: 'results.labelstudio.json', data: (exported) => exported },
  { export: 'parquet', import: 'parquet', name: 'results.parquet', data: (exported) => exported },
  {
    export: 'hf',
    import: 'hf',
    name: 'results-hf',
    data: (exported) => path.join(exported, 'data/train-00000-of-00001.parquet'),
  },
];

/**
 * Label Studio tasks without each annotation's full `sightline.shown` record: the import rebuilds
 * what the rater saw from the template, payload and recorded order (the questions and sides, which
 * the test compares separately) and adds where the row came from (`source`); the instructions
 * version and highlight flags it does not carry over.
 */
function withoutFullShown(text: string): { tasks: unknown; shown: unknown[] } {
  const tasks = JSON.parse(text) as {
    annotations: { sightline: { shown: { questions: unknown; pairs: unknown } } }[];
  }[];
  const shown: unknown[] = [];
  for (const task of tasks)
    for (const annotation of task.annotations) {
      const { questions, pairs } = annotation.sightline.shown;
      shown.push({ questions, pairs });
      delete (annotation.sightline as { shown?: unknown }).shown;
    }
  return { tasks, shown };
}

describe('every importable export format round-trips', () => {
  for (const format of IMPORTABLE) {
    it.each(BUILTIN_TEMPLATE_IDS)(
      `${format.export}: %s: export -> import into a fresh project -> export again gives the same judgements, answers and shown orders`,
      async (templateId) => {
        const original = makeProject();
        const { campaignId } = ratedTemplateCampaign(original, templateId);
        const first = await exportTo(original, campaignId, format.export, format.name);
        const copy = makeProject();
        // The format is detected from the name (or folder), as `import-results` does by default.
        const imported = await importResults(copy.db, { campaignName: `Rated ${templateId}`, file: first.path });
        expect(imported).toMatchObject({ format: format.import, template: { id: templateId, inferred: true } });
        const second = await exportTo(copy, imported.campaignId, format.export, format.name);
        const [before, after] = [first, second].map((result) => fs.readFileSync(format.data(result.path)));
        if (format.export === 'labelstudio') {
          // Byte-identical except each annotation's full shown record (see withoutFullShown).
          const [a, b] = [before, after].map((bytes) => withoutFullShown(bytes.toString('utf8')));
          expect(b.tasks).toEqual(a.tasks);
          expect(b.shown).toEqual(a.shown);
        } else {
          // Same campaign name and, in a fresh project, the same item, assignment and judgement ids
          // and rater pseudonyms: every byte matches (for hf, the data file; the folder's README.md and
          // provenance.json differ: export time, and the card's bootstrap uses the campaign's seed,
          // which the file does not carry).
          expect(after.equals(before)).toBe(true);
        }
        // Whatever the format, the judgements read the same through JSONL, with every order known.
        const lines = async (project: Project, id: number) =>
          jsonl((await exportTo(project, id, 'jsonl', 'check.jsonl')).path);
        const again = await lines(copy, imported.campaignId);
        expect(again).toEqual(await lines(original, campaignId));
        expect(again.every((line) => line.shown_order !== null)).toBe(true);
      },
    );
  }
});

describe('a results file that does not record the order', () => {
  it('stores the order as unknown: exports write null, provenance names the judgements, results leave left/right out', async () => {
    const original = makeProject();
    const { campaignId } = ratedTemplateCampaign(original, 'pairwise', 8);
    const exported = (await exportTo(original, campaignId, 'mturk', 'Batch_results.csv')).path;
    const copy = makeProject();
    const imported = importMturkResults(copy.db, {
      campaignName: 'no order',
      file: withoutColumn(exported, 'Sightline.ShownOrder'),
    });
    const id = imported.campaignId;

    const lines = jsonl((await exportTo(copy, id, 'jsonl', 'out.jsonl')).path);
    expect(lines.map((line) => line.shown_order)).toEqual(lines.map(() => null));
    // The answers are what the workers said: left stays left.
    const originalAnswers = jsonl((await exportTo(original, campaignId, 'jsonl', 'in.jsonl')).path).map(
      (line) => line.answer,
    );
    expect(lines.map((line) => line.answer)).toEqual(originalAnswers);

    const csvRows = parse(fs.readFileSync((await exportTo(copy, id, 'csv', 'out.csv')).path, 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    expect(csvRows.map((row) => row.shown_order)).toEqual(csvRows.map(() => ''));
    const mturk = await exportTo(copy, id, 'mturk', 'again.csv');
    const mturkRows = parse(fs.readFileSync(mturk.path, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(mturkRows.map((row) => row['Sightline.ShownOrder'])).toEqual(mturkRows.map(() => ''));
    const tasks = JSON.parse(fs.readFileSync((await exportTo(copy, id, 'labelstudio', 'out.json')).path, 'utf8')) as {
      annotations: { sightline: { shown_order: unknown } }[];
    }[];
    expect(tasks.flatMap((task) => task.annotations.map((annotation) => annotation.sightline.shown_order))).toEqual(
      lines.map(() => null),
    );
    const parquet = fs.readFileSync((await exportTo(copy, id, 'parquet', 'out.parquet')).path);
    const parquetRows = (await parquetReadObjects({
      file: parquet.buffer.slice(parquet.byteOffset, parquet.byteOffset + parquet.byteLength),
    })) as Record<string, unknown>[];
    expect(parquetRows.map((row) => JSON.parse(row.shown_order as string))).toEqual(lines.map(() => null));

    // The provenance manifest says which judgements have no known order.
    const manifest = JSON.parse(fs.readFileSync(mturk.provenancePath, 'utf8'));
    const ids = lines.map((line) => line.judgement_id as number);
    expect(manifest.shown_order_unknown).toMatchObject({
      judgements: ids.length,
      partly_known: 0,
      judgement_ids: [[Math.min(...ids), Math.max(...ids)]],
    });

    // Re-importing that export keeps the order unknown, byte for byte.
    const third = makeProject();
    const again = importMturkResults(third.db, { campaignName: 'no order', file: mturk.path });
    expect(fs.readFileSync((await exportTo(third, again.campaignId, 'mturk', 'third.csv')).path, 'utf8')).toBe(
      fs.readFileSync(mturk.path, 'utf8'),
    );

    // Results: a left/right answer with unknown sides names no text, so it is left out (and said); ties still count.
    const results = preference(copy, id);
    const ties = originalAnswers.filter((answer) => (answer as { preference: string }).preference === 'tie').length;
    expect(ties).toBeGreaterThan(0);
    expect(results.ratings).toBe(ties);
    expect(results.notes.join(' ')).toMatch(
      new RegExp(`${lines.length - ties} judgement\\(s\\) answer left or right .* sides .* did not record`),
    );
  });

  it('an older export without "@pairs" keeps the option order it has and marks only the sides unknown', async () => {
    const original = makeProject();
    const { campaignId } = ratedTemplateCampaign(original, 'pairwise', 4);
    const exported = (await exportTo(original, campaignId, 'mturk', 'Batch_results.csv')).path;
    const older = withCells(exported, 'Sightline.ShownOrder', (cell) => {
      const { '@pairs': _pairs, ...rest } = JSON.parse(cell);
      return JSON.stringify(rest);
    });
    const copy = makeProject();
    const imported = importMturkResults(copy.db, { campaignName: 'older', file: older });
    const exportedAgain = await exportTo(copy, imported.campaignId, 'jsonl', 'out.jsonl');
    const lines = jsonl(exportedAgain.path);
    expect(new Set(lines.map((line) => JSON.stringify(line.shown_order)))).toEqual(
      new Set([JSON.stringify({ preference: ['left', 'right', 'tie'], '@pairs': null })]),
    );
    const manifest = JSON.parse(fs.readFileSync(exportedAgain.provenancePath, 'utf8'));
    expect(manifest.shown_order_unknown).toMatchObject({ judgements: lines.length, partly_known: lines.length });
  });

  it.each([
    ['not JSON', () => '{"preference":'],
    [
      "options that are not the question's",
      () => JSON.stringify({ preference: ['left', 'right', 'maybe'], '@pairs': [['a', 'b']] }),
    ],
    [
      'sides naming other fields',
      () => JSON.stringify({ preference: ['left', 'right', 'tie'], '@pairs': [['a', 'c']] }),
    ],
    [
      'an unknown question',
      () => JSON.stringify({ preference: ['left', 'right', 'tie'], '@pairs': [['b', 'a']], colour: ['red'] }),
    ],
  ])(
    'a recorded order with %s is refused naming file, line and column, and nothing is written',
    async (_case, cell) => {
      const original = makeProject();
      const { campaignId } = ratedTemplateCampaign(original, 'pairwise', 2);
      const exported = (await exportTo(original, campaignId, 'mturk', 'Batch_results.csv')).path;
      const bad = withCells(exported, 'Sightline.ShownOrder', (text, row) => (row === 2 ? cell() : text));
      const copy = makeProject();
      const before = databaseFingerprint(copy.db);
      expect(() => importMturkResults(copy.db, { campaignName: 'bad', file: bad })).toThrow(
        `${bad}: line 3: Sightline.ShownOrder`,
      );
      expect(databaseFingerprint(copy.db)).toBe(before);
    },
  );

  it('a row whose payload the template cannot show is bad_file naming the line and the Input column (found by the fuzz test)', async () => {
    const original = makeProject();
    const { campaignId } = ratedTemplateCampaign(original, 'concept-choice', 2);
    const exported = (await exportTo(original, campaignId, 'mturk', 'Batch_results.csv')).path;
    const bad = withCells(exported, 'Input.options', (text, row) => (row === 1 ? 'goldfish' : text));
    const copy = makeProject();
    const before = databaseFingerprint(copy.db);
    expect(() => importMturkResults(copy.db, { campaignName: 'bad', file: bad })).toThrow(
      `${bad}: line 2: Input.options: expected an array of options for question concept`,
    );
    expect(databaseFingerprint(copy.db)).toBe(before);
  });
});
