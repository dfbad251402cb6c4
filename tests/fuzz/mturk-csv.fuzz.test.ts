// Fuzzing the MTurk results CSV importer (issue 11): seeded byte-level and CSV-aware mutations of
// real files (our own pairwise and concept-choice exports, whose Sightline.ShownOrder the importer
// reads back, and a plain MTurk batch file). Every case must end in success or a bad_file error,
// never a crash or a hang, and a failed import must leave the project exactly as it was.
// SIGHTLINE_FUZZ_CASES=10000 npx vitest run tests/fuzz/mturk-csv.fuzz.test.ts runs more by hand.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { exportCampaign } from '../../src-main/export';
import { csvField } from '../../src-main/export/csv-cells';
import { importMturkResults } from '../../src-main/export/import-mturk';
import type { Project } from '../../src-main/project/project';
import { fuzzResultsImport } from './results-import-fuzz';
import { ratedTemplateCampaign } from '../export/template-fixtures';
import { makeProject, tempDir } from '../helpers/factories';
import {
  below,
  fuzzCaseCount,
  fuzzSeed,
  pick,
  type Mutator,
  type Random,
} from '../helpers/fuzz';

const CELL_VALUES = [
  '',
  '-1',
  '0',
  '1e309',
  'NaN',
  '9'.repeat(40),
  'null',
  '{}',
  '[]',
  '{"concept":null}',
  '[1,2',
  '=cmd|" /C calc"!A0',
  "'",
  '"',
  '\u0000',
  'x'.repeat(20_000),
  'Rejected',
  'left',
  'tie',
  'Wed Feb 31 25:61:61 XYZ 2020',
  'Wed Jan 15 09:12:34 PST 2020',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00Z',
];
const HEADER_NAMES = [
  'HITId',
  'WorkerId',
  'AssignmentStatus',
  'Answer.',
  'Input.',
  'Hidden.',
  'Answer.__proto__',
  'Input.constructor',
  'Hidden.mturk_hit_id',
  'Sightline.ShownOrder',
  'Sightline.ItemKind',
  'Answer.Preference',
];

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function readRows(base: Uint8Array): string[][] | null {
  try {
    return parse(decoder.decode(base), { bom: true, relax_column_count: true }) as string[][];
  } catch {
    return null;
  }
}

const writeRows = (rows: string[][]): Uint8Array =>
  encoder.encode(rows.map((row) => row.map(csvField).join(',')).join('\r\n'));

/** A CSV-aware mutation: parse the rows, change them, write them back (null when the base does not parse). */
function onRows(describe: string, change: (random: Random, rows: string[][]) => string | null): Mutator {
  return (random, base) => {
    const rows = readRows(base);
    if (!rows || rows.length < 2) return null;
    const what = change(random, rows);
    return what === null ? null : { name: `${describe}: ${what}`, bytes: writeRows(rows) };
  };
}

const bodyRow = (random: Random, rows: string[][]) => 1 + below(random, rows.length - 1);

const CSV_MUTATORS: Record<string, Mutator> = {
  cell: onRows('cell', (random, rows) => {
    const r = bodyRow(random, rows);
    const c = below(random, rows[r].length);
    const value = random() < 0.2 ? pick(random, rows[bodyRow(random, rows)]) : pick(random, CELL_VALUES);
    rows[r][c] = value;
    return `row ${r} column ${rows[0][c]} = ${JSON.stringify(value.slice(0, 40))}`;
  }),
  header: onRows('header', (random, rows) => {
    const c = below(random, rows[0].length);
    const name = random() < 0.3 ? pick(random, rows[0]) : pick(random, HEADER_NAMES);
    const was = rows[0][c];
    rows[0][c] = name;
    return `${was} renamed ${name}`;
  }),
  dropColumn: onRows('drop column', (random, rows) => {
    const c = below(random, rows[0].length);
    const name = rows[0][c];
    for (const row of rows) row.splice(c, 1);
    return name;
  }),
  rows: onRows('rows', (random, rows) => {
    const r = bodyRow(random, rows);
    const choice = below(random, 3);
    if (choice === 0) rows.splice(r, 0, [...rows[r]]);
    else if (choice === 1 && rows.length > 2) rows.splice(r, 1);
    else rows[r] = rows[r].slice(0, below(random, rows[r].length));
    return `${['duplicate', 'delete', 'shorten'][choice]} row ${r}`;
  }),
  shownOrder: onRows('Sightline.ShownOrder', (random, rows) => {
    const c = rows[0].indexOf('Sightline.ShownOrder');
    if (c < 0) return null;
    const r = bodyRow(random, rows);
    let order: Record<string, unknown>;
    try {
      order = JSON.parse(rows[r][c]) as Record<string, unknown>;
    } catch {
      return null;
    }
    if (!order || typeof order !== 'object') return null;
    const keys = Object.keys(order);
    const key = keys.length ? pick(random, keys) : 'concept';
    const edits: [string, unknown][] = [
      ['reverse', Array.isArray(order[key]) ? [...(order[key] as unknown[])].reverse() : order[key]],
      ['null', null],
      ['string', 'left'],
      ['number', 3],
      ['nested', [[null]]],
      ['drop first', Array.isArray(order[key]) ? (order[key] as unknown[]).slice(1) : []],
      [
        'duplicate first',
        Array.isArray(order[key]) ? [(order[key] as unknown[])[0], ...(order[key] as unknown[])] : [],
      ],
      ['object', { length: 2 }],
    ];
    const [name, value] = pick(random, edits);
    if (random() < 0.2) order[pick(random, ['@pairs', 'bogus', '__proto__'])] = value;
    else order[key] = value;
    rows[r][c] = JSON.stringify(order);
    return `row ${r} ${key} ${name}`;
  }),
};

/** The fuzz inputs: two Sightline exports (pairwise sides and shuffled options) and a plain MTurk file. */
async function baseFiles(project: Project): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const templateId of ['pairwise', 'concept-choice']) {
    const { campaignId } = ratedTemplateCampaign(project, templateId, 3);
    const result = await exportCampaign(project.db, campaignId, {
      format: 'mturk',
      out: path.join(tempDir(), `${templateId}.csv`),
    });
    files[templateId] = fs.readFileSync(result.path);
  }
  files.plain = encoder.encode(
    [
      'HITId,HITTypeId,AssignmentId,WorkerId,AssignmentStatus,AcceptTime,SubmitTime,WorkTimeInSeconds,Input.text,Answer.Q1,Answer.score,Answer.comment',
      'H1,T,A1,W1,Approved,Wed Jan 15 09:12:34 PST 2020,Wed Jan 15 09:13:04 PST 2020,30,"line one\nline two",yes,3,"said ""hi"""',
      'H1,T,A2,W2,Approved,Wed Jan 15 09:12:40 PST 2020,Wed Jan 15 09:13:00 PST 2020,20,"line one\nline two",no,4,',
      'H2,T,A3,W1,Approved,2020-01-15T17:14:00Z,2020-01-15T17:14:10Z,10,second,yes,5,ok',
      'H2,T,A4,W3,Rejected,Wed Jan 15 09:14:00 PST 2020,Wed Jan 15 09:14:10 PST 2020,10,second,no,1,spam',
    ].join('\r\n'),
  );
  return files;
}

describe('MTurk results CSV importer under fuzzing', () => {
  it('ends every mutated file in success or bad_file, within 20 s, and a failure leaves the project unchanged', async () => {
    const source = makeProject();
    const bases = await baseFiles(source);
    const outcomes = await fuzzResultsImport({
      bases,
      seed: fuzzSeed(20251101),
      count: fuzzCaseCount(300),
      extension: '.csv',
      structured: CSV_MUTATORS,
      importFile: (db, campaignName, file) => importMturkResults(db, { campaignName, file }),
    });
    // Both endings happen: the mutations reach the importer's checks and leave some files valid.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.bad_file).toBeGreaterThan(0);
  }, 600_000);
});
