// Issue 15: an old MTurk batch of the reference study (Input.* columns named as its HIT layout named
// them, the worker's choice in Answer.choice) imports with `--template concept-choice --mapping`, and
// majority, Dawid–Skene and the steering curve come out of it; the WorkerIds stay as they are.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CampaignResults } from '../../src-main/contract/results';
import { runCaptured, runJson } from '../helpers/cli';
import { makeProject, tempDir } from '../helpers/factories';

afterEach(() => vi.restoreAllMocks());

const STUDY = path.join(import.meta.dirname, '../fixtures/reference-study/steered-answers.csv');
const CLASS_COLUMNS = ['og_class', 'target_class', 'distractor1', 'distractor2'] as const;

/** The columns MTurk writes around a HIT layout's own Input.* and Answer.* columns. */
const MTURK_HEAD = [
  'HITId',
  'HITTypeId',
  'Title',
  'Reward',
  'AssignmentId',
  'WorkerId',
  'AssignmentStatus',
  'AcceptTime',
  'SubmitTime',
  'AutoApprovalTime',
  'WorkTimeInSeconds',
  'LifetimeApprovalRate',
];

const MAPPING = {
  answers: { concept: 'Answer.choice' },
  payload: {
    question: 'Input.question',
    answer: 'Input.answer',
    options: CLASS_COLUMNS.map((name) => `Input.${name}`),
  },
  steering: {
    strength: 'Input.steering_score',
    source: 'Input.og_class',
    target: 'Input.target_class',
    layer: 'Input.layer',
  },
};

type StudyRow = Record<string, string>;

/** What a careful worker picks: the class the model's answer names, else "none". */
const namedClass = (row: StudyRow) =>
  CLASS_COLUMNS.map((name) => row[name]).find((label) => row.answer.toLowerCase().includes(label.toLowerCase())) ??
  'none';

/**
 * The batch as MTurk writes it: one row per assignment, three workers per HIT. Two read carefully;
 * the third always clicks the first option (the source class), as a spammer would. One assignment
 * was rejected, and MTurk keeps its row.
 */
function writeBatch(dir: string, edit: (rows: string[][]) => void = () => {}) {
  const study = parse(fs.readFileSync(STUDY, 'utf8'), { columns: true }) as StudyRow[];
  const inputs = Object.keys(study[0]);
  const workers = ['A2Q7WORKERONE', 'A3KX9WORKERTWO', 'A1SPAMWORKER'];
  const header = [...MTURK_HEAD, ...inputs.map((name) => `Input.${name}`), 'Answer.choice', 'Approve', 'Reject'];
  const rows: string[][] = [];
  study.forEach((row, hit) => {
    workers.forEach((worker, w) => {
      const choice = worker === 'A1SPAMWORKER' ? row.og_class : namedClass(row);
      const minute = String(10 + w).padStart(2, '0');
      rows.push([
        `3HIT${hit}`,
        '3TYPE',
        'Which concept?',
        '$0.05',
        `3ASG${hit}x${w}`,
        worker,
        'Approved',
        `Wed Jan 15 09:${minute}:00 PST 2020`,
        `Wed Jan 15 09:${minute}:40 PST 2020`,
        'Wed Jan 18 09:00:00 PST 2020',
        '40',
        '99% (99/100)',
        ...inputs.map((name) => row[name]),
        choice,
        '',
        '',
      ]);
    });
  });
  const rejected = [...rows[0]];
  rejected[4] = '3ASGrejected';
  rejected[5] = 'A9REJECTED';
  rejected[6] = 'Rejected';
  rows.push(rejected);
  edit(rows);
  const file = path.join(dir, 'Batch_4411_batch_results.csv');
  fs.writeFileSync(file, stringify([header, ...rows]));
  return { file, study, header, rows, workers };
}

function writeMapping(dir: string, text = JSON.stringify(MAPPING, null, 2)) {
  const file = path.join(dir, 'map.json');
  fs.writeFileSync(file, text);
  return file;
}

const importArgs = (project: ReturnType<typeof makeProject>, file: string, mapping: string) => [
  'import-results',
  '--project',
  project.dir,
  '--campaign',
  'old batch',
  '--path',
  file,
  '--format',
  'mturk',
  '--template',
  'concept-choice',
  '--mapping',
  mapping,
];

const campaignCount = (project: ReturnType<typeof makeProject>) =>
  project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get();

describe('import-results --format mturk --template concept-choice --mapping', () => {
  it('reads the batch into the template: majority, Dawid–Skene and the steering curve, WorkerIds kept', async () => {
    const project = makeProject();
    const dir = tempDir();
    const { file, study, workers } = writeBatch(dir);
    const imported = await runJson(importArgs(project, file, writeMapping(dir)));
    expect(imported.code).toBe(0);
    expect(imported.value).toMatchObject({
      items: study.length,
      raters: 3,
      judgements: study.length * 3,
      skippedRejected: 1,
      template: { id: 'concept-choice', inferred: false },
    });

    const results = await runJson([
      'results',
      '--project',
      project.dir,
      '--campaign',
      'old batch',
      '--replicates',
      '20',
    ]);
    expect(results.code).toBe(0);
    const value = results.value as CampaignResults;
    // Majority and Dawid–Skene side with the two careful workers on every item.
    const labels = value.labels.filter((label) => label.questionId === 'concept');
    expect(labels.map((label) => label.majority)).toEqual(study.map(namedClass));
    expect(labels.map((label) => label.dawidSkene)).toEqual(study.map(namedClass));
    expect(value.dawidSkene[0].raters.map((rater) => rater.rater).sort()).toEqual([...workers].sort());
    expect(value.raters.list.map((rater) => rater.rater).sort()).toEqual([...workers].sort());

    // The curve counts each judgement that names the target class, per strength, from the file's own columns.
    const expected = new Map<number, { n: number; successes: number }>();
    for (const row of study) {
      const point = expected.get(Number(row.steering_score)) ?? { n: 0, successes: 0 };
      point.n += 3;
      point.successes += (namedClass(row) === row.target_class ? 2 : 0) + (row.og_class === row.target_class ? 1 : 0);
      expected.set(Number(row.steering_score), point);
    }
    const steering = value.steering!;
    expect(steering.questionId).toBe('concept');
    expect(steering.byLayer.map((curve) => curve.layer)).toEqual([...new Set(study.map((row) => Number(row.layer)))]);
    expect(steering.byLayer[0].points.map((point) => [point.k, point.n, point.successes])).toEqual(
      [...expected].sort(([a], [b]) => a - b).map(([k, point]) => [k, point.n, point.successes]),
    );

    // Exported again, the workers keep their MTurk ids.
    const out = path.join(dir, 'again.csv');
    const exported = await runCaptured([
      'export',
      '--project',
      project.dir,
      '--campaign',
      'old batch',
      '--format',
      'mturk',
      '--out',
      out,
    ]);
    expect(exported.code).toBe(0);
    const again = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect([...new Set(again.map((row) => row.WorkerId))].sort()).toEqual([...workers].sort());
  });

  it('a bad cell names the line and the column, and nothing is written', async () => {
    const project = makeProject();
    const dir = tempDir();
    const mapping = writeMapping(dir);
    const first = writeBatch(dir);
    // Line 5 is the second HIT's first assignment (header on line 1, three assignments per HIT).
    const bad = writeBatch(dir, (rows) => {
      rows[3][first.header.indexOf('Input.steering_score')] = 'high';
    });
    const refused = await runCaptured(importArgs(project, bad.file, mapping));
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toBe(
      `sightline import-results: ${bad.file}: line 5: Input.steering_score: expected a number (the steering strength), found "high"`,
    );

    const choice = first.header.indexOf('Answer.choice');
    const badAnswer = writeBatch(dir, (rows) => {
      rows[7][choice] = 'a lighthouse';
    });
    const refusedAnswer = await runCaptured(importArgs(project, badAnswer.file, mapping));
    expect(refusedAnswer.code).toBe(1);
    expect(refusedAnswer.err).toContain(`${badAnswer.file}: line 9: Answer.choice`);
    expect(refusedAnswer.err.trim().split('\n')).toHaveLength(1);
    expect(campaignCount(project)).toBe(0);
  });

  it('a mapping naming a column the batch lacks says which column it expected', async () => {
    const project = makeProject();
    const dir = tempDir();
    const { file } = writeBatch(dir);
    const wrong = writeMapping(
      dir,
      JSON.stringify({ ...MAPPING, steering: { ...MAPPING.steering, strength: 'Input.k' } }, null, 2),
    );
    const refused = await runCaptured(importArgs(project, file, wrong));
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${file}: column Input.k: expected a column named in the mapping`);
    expect(refused.err).toContain('Input.steering_score');

    const noAnswer = writeMapping(dir, JSON.stringify({ ...MAPPING, answers: { concept: 'Answer.concept' } }));
    const refusedAnswer = await runCaptured(importArgs(project, file, noAnswer));
    expect(refusedAnswer.code).toBe(1);
    expect(refusedAnswer.err).toContain(
      `${file}: column Answer.concept: expected a column named in the mapping (answers.concept; the file has HITId,`,
    );
    expect(campaignCount(project)).toBe(0);
  });

  it('a mapping field of the wrong type names the mapping file, line and column; JSON mistakes too', async () => {
    const project = makeProject();
    const dir = tempDir();
    const { file } = writeBatch(dir);
    const wrongType = writeMapping(dir, '{\n  "answers": {\n    "concept": 3\n  }\n}\n');
    const refused = await runCaptured(importArgs(project, file, wrongType));
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toMatch(
      new RegExp(
        `^sightline import-results: ${wrongType}: line 3, column 16 \\(answers\\.concept\\): expected a results mapping`,
      ),
    );
    const unknownField = writeMapping(dir, '{"answer": {"concept": "Answer.choice"}}');
    expect((await runCaptured(importArgs(project, file, unknownField))).err).toContain(
      `${unknownField}: line 1, column 2 (answer): expected a results mapping`,
    );
    const trailingComma = writeMapping(dir, '{"answers": {"concept": "Answer.choice",}}');
    expect((await runCaptured(importArgs(project, file, trailingComma))).err).toContain(
      `${trailingComma}: line 1, column 41: expected valid JSON, found "}}"`,
    );
    const args = importArgs(project, file, writeMapping(dir));
    args.splice(args.indexOf('--template'), 2);
    const withoutTemplate = await runCaptured(args);
    expect(withoutTemplate.code).toBe(2);
    expect(withoutTemplate.err).toContain('mapping: needs a template (--template ID)');
    expect(campaignCount(project)).toBe(0);
  });
});
