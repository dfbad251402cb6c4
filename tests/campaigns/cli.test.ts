// The campaign commands of the CLI, as a researcher scripts them: template list|show, campaign create
// from an MTurk batch CSV with a column mapping, campaign list --json, and a non-UTF-8 file refused.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { mine } from '../../src-main/mining/mine';
import { makeProject, tempDir } from '../helpers/factories';
import { CONCEPTS, writeSyntheticCorpus } from '../mining/synthetic';
import { runCaptured } from '../helpers/cli';

afterEach(() => vi.restoreAllMocks());

/** Runs the CLI in-process and captures what it prints (tests/helpers/cli.ts). */
const cli = runCaptured;

// An MTurk batch input CSV: header = variable names; the answer column is called "Answer" here, so
// the mapping (which replaces the defaults) points the template's answer field at it; a quoted cell
// holds a comma, doubled quotes and a newline.
const BATCH = [
  'question,Answer,options,strength,condition',
  'What is shown?,"A goldfish, ""orange"",\nin a bowl.","[""goldfish"",""volcano"",""strawberry"",""tabby cat""]",0,k=0',
  'What is shown?,Lava pours down a mountain.,"[""goldfish"",""volcano"",""strawberry"",""tabby cat""]",15,k=15',
].join('\r\n');

/** `campaign create` of a concept-choice campaign from one item file, as the file tests below run it. */
const createFromFile = (projectDir: string, file: string) =>
  cli([
    'campaign',
    'create',
    '--project',
    projectDir,
    '--name',
    'From file',
    '--template',
    'concept-choice',
    '--items',
    file,
  ]);

describe('sightline campaign and template commands', () => {
  it('template list and show print the built-in templates', async () => {
    const list = await cli(['template', 'list', '--json']);
    expect(list.code).toBe(0);
    const ids = (JSON.parse(list.out) as { id: string }[]).map((row) => row.id);
    expect(ids).toEqual(Object.keys(BUILTIN_TEMPLATES));
    const show = await cli(['template', 'show', '--id', 'concept-choice', '--json']);
    expect(JSON.parse(show.out)).toEqual(BUILTIN_TEMPLATES['concept-choice']);
    const unknown = await cli(['template', 'show', '--id', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('template nope: unknown');
  });

  it('campaign create reads a batch CSV with a mapping; campaign list --json shows it', async () => {
    const project = makeProject();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'batch.csv'), BATCH);
    fs.writeFileSync(
      path.join(dir, 'map.json'),
      JSON.stringify({
        payload: { question: 'question', answer: 'Answer', options: 'options' },
        hidden: { k: 'strength' },
        condition: 'condition',
      }),
    );
    const created = await cli([
      'campaign',
      'create',
      '--project',
      project.dir,
      '--name',
      'Pilot',
      '--template',
      'concept-choice',
      '--items',
      path.join(dir, 'batch.csv'),
      '--mapping',
      path.join(dir, 'map.json'),
      '--overlap',
      '2',
      '--seed',
      '11',
      '--prolific-code',
      'C0DE42',
      '--contact',
      'Ada <ada@lab.example>',
      '--json',
    ]);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({
      items: 2,
      entryUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8470\/enter\//),
    });

    const listed = await cli(['campaign', 'list', '--project', project.dir, '--json']);
    const [campaign] = JSON.parse(listed.out);
    expect(campaign).toMatchObject({
      name: 'Pilot',
      templateId: 'concept-choice',
      itemCount: 2,
      overlap: 2,
      submitted: 0,
      target: 4,
    });
    expect(campaign.entryPath).toMatch(/^\/enter\/\S+\?PROLIFIC_PID=/);
    expect(campaign.entryUrl).toBe(`http://127.0.0.1:8470${campaign.entryPath}`);

    // The human-readable list prints the whole study URL to paste into Prolific, on the address given.
    const human = await cli(['campaign', 'list', '--project', project.dir, '--base-url', 'https://study.example.org/']);
    expect(human.out).toContain(`  Prolific study URL: https://study.example.org${campaign.entryPath}\n`);
    expect(campaign.entryPath).toContain(
      '?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}',
    );
    // Without --base-url and no running serve, it says which address it assumed.
    expect((await cli(['campaign', 'list', '--project', project.dir])).out).toMatch(
      /Prolific study URL: http:\/\/127\.0\.0\.1:8470\/enter\/.*\n.*no running `sightline serve`/,
    );

    // The CLI wrote through its own connection; this test's connection reads the same file.
    const rows = project.db
      .prepare('SELECT payload_json, hidden_json, condition FROM items ORDER BY position')
      .all() as { payload_json: string; hidden_json: string; condition: string }[];
    expect(JSON.parse(rows[0].payload_json)).toMatchObject({
      answer: 'A goldfish, "orange",\nin a bowl.',
      options: ['goldfish', 'volcano', 'strawberry', 'tabby cat'],
    });
    expect(JSON.parse(rows[1].hidden_json)).toMatchObject({ k: 15 });
    expect(rows[0].payload_json).not.toContain('strength');
    expect(rows.map((row) => row.condition)).toEqual(['k=0', 'k=15']);
    expect(project.db.prepare("SELECT json_extract(settings_json, '$.contact') FROM campaigns").pluck().get()).toBe(
      'Ada <ada@lab.example>',
    );
    const seed = project.db.prepare("SELECT seed FROM campaigns WHERE name = 'Pilot'").pluck().get();
    expect(seed).toBe(11);
    // campaign create prints the study URL too.
    const again = await cli([
      'campaign',
      'create',
      '--project',
      project.dir,
      '--name',
      'Pilot 2',
      '--template',
      'concept-choice',
      '--items',
      path.join(dir, 'batch.csv'),
      '--mapping',
      path.join(dir, 'map.json'),
      '--prolific-code',
      'C0DE43',
      '--base-url',
      'https://study.example.org',
    ]);
    expect(again.out).toMatch(
      /^Created campaign "Pilot 2" with 2 items\n {2}Prolific study URL: https:\/\/study\.example\.org\/enter\/\S+\?PROLIFIC_PID=\{\{%PROLIFIC_PID%\}\}&STUDY_ID=\{\{%STUDY_ID%\}\}&SESSION_ID=\{\{%SESSION_ID%\}\}$/m,
    );
  });

  it('campaign create takes a Prolific screen-out code (none by default), only with a completion code', async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'batch.csv');
    fs.writeFileSync(file, BATCH);
    fs.writeFileSync(
      `${file}.map.json`,
      JSON.stringify({ payload: { question: 'question', answer: 'Answer', options: 'options' } }),
    );
    const base = [
      'campaign',
      'create',
      '--project',
      project.dir,
      '--template',
      'concept-choice',
      '--items',
      file,
      '--mapping',
      `${file}.map.json`,
    ];
    const prolificOf = (name: string) =>
      JSON.parse(project.db.prepare('SELECT settings_json FROM campaigns WHERE name = ?').pluck().get(name) as string)
        .prolific;
    expect(
      (await cli([...base, '--name', 'With', '--prolific-code', 'PAID', '--prolific-screen-out-code', 'OUT'])).code,
    ).toBe(0);
    expect(prolificOf('With')).toMatchObject({ completionCode: 'PAID', screenOutCode: 'OUT' });
    expect((await cli([...base, '--name', 'Without', '--prolific-code', 'PAID'])).code).toBe(0);
    expect(prolificOf('Without').screenOutCode).toBeUndefined();
    const alone = await cli([...base, '--name', 'Alone', '--prolific-screen-out-code', 'OUT']);
    expect(alone.code).not.toBe(0);
    expect(alone.err).toMatch(/--prolific-screen-out-code: needs --prolific-code/);
    expect(project.db.prepare("SELECT COUNT(*) FROM campaigns WHERE name = 'Alone'").pluck().get()).toBe(0);
  });

  it('campaign create refuses a file that is not UTF-8, naming it and the line, and creates nothing', async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'latin1.csv');
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('question,answer\nWhat is shown?,'),
        Buffer.from([0x63, 0x61, 0x66, 0xe9]),
        Buffer.from('\n'),
      ]),
    );
    const result = await createFromFile(project.dir, file);
    expect(result.code).not.toBe(0);
    expect(result.err).toContain('latin1.csv');
    expect(result.err).toMatch(/UTF-8/);
    expect(result.err).toMatch(/line 2/);
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(0);
  });

  it('campaign create names a workbook given as the item file, prints none of its bytes, and exits 1', async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'items.xlsx');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('xl/workbook.xml')]));
    const result = await createFromFile(project.dir, file);
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      'items.xlsx: (file): expected CSV or JSONL text, found a ZIP archive (an Excel .xlsx workbook is one)',
    );
    expect(result.err).not.toContain('workbook.xml');
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(0);
  });

  it("campaign create --from features takes an SAE's feature indices with --sae, and refuses unknown or repeated ones", async () => {
    const project = makeProject();
    const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'));
    await importSae(project, { path: corpus.saeDir, name: 'sae' });
    await importDenseActivations(project, corpus.sidecar, 'corpus');
    await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 });
    const base = ['campaign', 'create', '--project', project.dir, '--template', 'feature-label', '--from', 'features'];
    const made = await cli([
      ...base,
      '--name',
      'Labels',
      '--sae',
      'sae',
      '--features',
      `${CONCEPTS.shared},${CONCEPTS.imageOnly}`,
      '--json',
    ]);
    expect(made.code, made.err).toBe(0);
    const hidden = (
      project.db.prepare('SELECT hidden_json FROM items ORDER BY position').pluck().all() as string[]
    ).map((text) => JSON.parse(text));
    expect(hidden.map((h) => h.feature_index)).toEqual([CONCEPTS.shared, CONCEPTS.imageOnly]);
    const campaigns = () => project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get();
    const repeated = await cli([...base, '--name', 'Twice', '--sae', 'sae', '--features', '2,2']);
    expect(repeated.code).not.toBe(0);
    expect(repeated.err).toMatch(/--features: 2 is listed twice/);
    const unknown = await cli([...base, '--name', 'Unknown', '--sae', 'sae', '--features', '500']);
    expect(unknown.err).toMatch(/SAE "sae" has no mined feature 500/);
    expect(campaigns()).toBe(1);
  });
});
