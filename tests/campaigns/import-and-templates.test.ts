import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src-main/cli/command';
import { campaignCreateCommand } from '../../src-main/cli/commands/campaign';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { parseRows } from '../../src-main/domain/campaigns/read-rows';
import { BUILTIN_TEMPLATES, parseTemplate } from '../../src-main/domain/templates';
import { makeProject, tempDir } from '../helpers/factories';

const encode = (text: string) => new TextEncoder().encode(text);
const settings = campaignSettingsSchema.parse({});
const countRows = (project: ReturnType<typeof makeProject>) =>
  project.db.prepare('SELECT (SELECT COUNT(*) FROM campaigns) + (SELECT COUNT(*) FROM items)').pluck().get();

describe('item files', () => {
  it('CSV: quoted commas, doubled quotes, embedded newlines and a BOM come through intact', () => {
    const text =
      '\ufeffquestion,answer,options\n"Is it a ""cat"", or not?","line one\nline two, with comma","[""cat"",""dog""]"\n';
    const [row] = parseRows(encode(text), 'batch.csv');
    expect(row).toEqual({
      question: 'Is it a "cat", or not?',
      answer: 'line one\nline two, with comma',
      options: '["cat","dog"]',
    });
  });

  it('non-UTF-8 input is refused naming the file, line and byte, and nothing is written', () => {
    const project = makeProject();
    const latin1 = new Uint8Array([
      ...encode('question,answer,options\nok,fine,"[""a""]"\ncaf'),
      0xe9,
      ...encode(',x,"[""a""]"\n'),
    ]);
    expect(() => parseRows(latin1, 'latin1.csv')).toThrow(
      /latin1\.csv: not valid UTF-8: byte 0xe9 at byte offset \d+ \(line 3\)/,
    );
    const before = countRows(project);
    expect(() =>
      createCampaign(project.db, {
        name: 'x',
        template: 'concept-choice',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'bad.csv', text: 'question,answer\n"unterminated,x\n' },
      }),
    ).toThrow(/bad\.csv: line \d+: expected well-formed CSV/);
    expect(countRows(project)).toBe(before);
  });

  it('a CSV header naming a column twice is refused, naming the file and the column', () => {
    const project = makeProject();
    const before = countRows(project);
    const text = 'question,answer,options,answer\nq,a1,"[""x""]",a2\n';
    expect(() => parseRows(encode(text), 'dup.csv')).toThrow(
      /dup\.csv: header: expected unique column names, found "answer" twice/,
    );
    expect(() =>
      createCampaign(project.db, {
        name: 'd',
        template: 'concept-choice',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'dup.csv', text },
      }),
    ).toThrow(/"answer" twice/);
    expect(countRows(project)).toBe(before);
  });

  it('a row missing a field the template shows is refused with its row and column; ${var} prompts resolve', () => {
    const project = makeProject();
    const missing = 'prompt,a,b,criterion\np1,left text,,Which is clearer?\n';
    expect(() =>
      createCampaign(project.db, {
        name: 'ab',
        template: 'pairwise',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'ab.csv', text: missing },
      }),
    ).toThrow(/ab\.csv: row 1: b: expected a value/);
    const ok = 'prompt,a,b,criterion\np1,left text,right text,Which is clearer?\n';
    const { campaignId } = createCampaign(project.db, {
      name: 'ab',
      template: 'pairwise',
      instructions: '',
      settings,
      source: { kind: 'file', fileName: 'ab.csv', text: ok },
    });
    expect(campaignId).toBeGreaterThan(0);
  });

  it('JSONL rows with hidden.* columns keep hidden values out of the payload and typed', () => {
    const project = makeProject();
    const text = [
      JSON.stringify({
        question: 'q',
        answer: 'a',
        options: ['x', 'y'],
        'hidden.k': '15',
        'hidden.target_class': 'y',
        condition: 'k=15',
      }),
      JSON.stringify({
        question: 'q2',
        answer: 'a2',
        options: ['x', 'y'],
        'hidden.k': '0',
        'hidden.target_class': 'x',
        condition: 'k=0',
      }),
      JSON.stringify({
        question: 'q3',
        answer: 'a3',
        options: ['x', 'y'],
        'hidden.k': '',
        'hidden.target_class': 'x',
        condition: 'k=?',
      }),
    ].join('\n');
    createCampaign(project.db, {
      name: 'jl',
      template: 'concept-choice',
      instructions: '',
      settings,
      source: { kind: 'file', fileName: 'items.jsonl', text },
    });
    const rows = project.db
      .prepare('SELECT payload_json, hidden_json, condition FROM items ORDER BY position')
      .all() as { payload_json: string; hidden_json: string; condition: string }[];
    expect(JSON.parse(rows[0].payload_json)).toEqual({ question: 'q', answer: 'a', options: ['x', 'y'] });
    expect(JSON.parse(rows[0].hidden_json)).toEqual({ k: 15, target_class: 'y' });
    // An empty hidden cell is no value (null), not the empty string.
    expect(JSON.parse(rows[2].hidden_json)).toEqual({ k: null, target_class: 'x' });
    expect(rows.map((row) => row.condition)).toEqual(['k=15', 'k=0', 'k=?']);
  });
});

// Found by tests/fuzz/items.fuzz.test.ts (issue 11).
describe('item files that once crashed or were refused without naming the file', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('a JSONL value nested deeper than any payload needs is refused with its line, before anything is written', () => {
    const project = makeProject();
    const before = countRows(project);
    const text = [
      JSON.stringify({ question: 'q', answer: 'a', options: ['x', 'y'] }),
      `{"question":"q","answer":"a","options":["x"],"extra":${deep(10_000)}}`,
    ].join('\n');
    expect(() => parseRows(encode(text), 'deep.jsonl')).toThrow(
      /^deep\.jsonl: line 2: expected values nested at most 32 deep/,
    );
    expect(() =>
      createCampaign(project.db, {
        name: 'd',
        template: 'concept-choice',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'deep.jsonl', text },
      }),
    ).toThrow(/deep\.jsonl: line 2: expected values nested at most 32 deep/);
    expect(countRows(project)).toBe(before);
  });

  it('a CSV cell holding deeply nested JSON is refused with its row and column', () => {
    const project = makeProject();
    const before = countRows(project);
    const text = `question,answer,options\nq,a,"[""x""]"\nq,a,"${deep(10_000)}"\n`;
    expect(() =>
      createCampaign(project.db, {
        name: 'd',
        template: 'concept-choice',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'deep.csv', text },
      }),
    ).toThrow(/^deep\.csv: row 2: options: expected values nested at most 32 deep/);
    expect(countRows(project)).toBe(before);
  });

  it('a row the template cannot show is a bad_file naming the file, the row and the column', () => {
    const project = makeProject();
    const text = 'question,answer,options\nq,a,"[""x"",""y""]"\nq,a,not a list\n';
    let error: unknown;
    try {
      createCampaign(project.db, {
        name: 'r',
        template: 'concept-choice',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'rows.csv', text },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/^rows\.csv: row 2: options: expected an array of options for question concept/),
    });
    expect(countRows(project)).toBe(0);
  });

  it('a row without a column named like an object property (constructor, toString) has no value there, not the property', () => {
    const project = makeProject();
    const text = [
      JSON.stringify({ question: 'q1', answer: 'a', options: ['x', 'y'], constructor: 'k=15', toString: '3' }),
      JSON.stringify({ question: 'q2', answer: 'a', options: ['x', 'y'] }),
    ].join('\n');
    const mapping = {
      payload: { question: 'question', answer: 'answer', options: 'options' },
      hidden: { k: 'toString' },
      condition: 'constructor',
    };
    createCampaign(project.db, {
      name: 'p',
      template: 'concept-choice',
      instructions: '',
      settings,
      source: { kind: 'file', fileName: 'p.jsonl', text, mapping },
    });
    const rows = project.db.prepare('SELECT hidden_json, condition FROM items ORDER BY position').all() as {
      hidden_json: string;
      condition: string | null;
    }[];
    expect(rows.map((row) => row.condition)).toEqual(['k=15', null]);
    expect(rows.map((row) => JSON.parse(row.hidden_json))).toEqual([{ k: 3 }, {}]);
  });

  it('campaign create --mapping: a mapping file that is not JSON, or not a mapping, is a bad_file naming it', async () => {
    const project = makeProject();
    const dir = tempDir();
    const items = path.join(dir, 'items.csv');
    fs.writeFileSync(items, 'question,answer,options\nq,a,"[""x""]"\n');
    const create = async (mapping: string) => {
      fs.writeFileSync(path.join(dir, 'map.json'), mapping);
      const argv = [
        '--project',
        project.dir,
        '--name',
        'm',
        '--template',
        'concept-choice',
        '--items',
        items,
        '--mapping',
        path.join(dir, 'map.json'),
      ];
      await campaignCreateCommand.run(parseCommandArgs(campaignCreateCommand, argv), {
        json: true,
        info() {},
        result() {},
      });
    };
    fs.rmSync(items);
    await expect(create('{}')).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/items\.csv: no such file/),
    });
    fs.writeFileSync(items, 'question,answer,options\nq,a,"[""x""]"\n');
    await expect(create('{"payload": {')).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/map\.json: line 1, column \d+: expected valid JSON/),
    });
    await expect(create('{"payload": {"question": 1}}')).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/map\.json: line 1, column 26 \(payload\.question\): expected a column mapping/),
    });
    await expect(create('["question"]')).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/map\.json: line 1, column 1: expected a column mapping/),
    });
    expect(countRows(project)).toBe(0);
  });
});

describe('templates', () => {
  it('every built-in template passes its own validation', () => {
    for (const template of Object.values(BUILTIN_TEMPLATES))
      expect(parseTemplate(template, template.id)).toEqual(template);
  });

  it('key-map conflicts and schema mistakes are refused with the field named', () => {
    const base = { id: 'mine', version: 1, title: 'Mine', display: [] };
    const choice = (extra: object) => ({
      ...base,
      questions: [
        {
          id: 'q',
          type: 'choice',
          prompt: 'p',
          options: [
            { value: 'a', label: 'A' },
            { value: 'b', label: 'B' },
          ],
          ...extra,
        },
      ],
    });
    expect(() => parseTemplate(choice({ keys: ['a', 'a'] }), 'mine.json')).toThrow(
      /mine\.json: questions\.0 \(q\): keys: two options share a key/,
    );
    expect(() => parseTemplate(choice({ keys: ['s', 'x'] }), 'mine.json')).toThrow(/"s" is reserved/);
    expect(() => parseTemplate(choice({ keys: ['x'] }), 'mine.json')).toThrow(/2 options but 1 keys/);
    const many = {
      ...base,
      questions: [
        {
          id: 'q',
          type: 'choice',
          prompt: 'p',
          options: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, label: `L${i}` })),
        },
      ],
    };
    expect(() => parseTemplate(many, 'many.json')).toThrow(/10 options but digit keys reach only 9/);
    expect(() =>
      parseTemplate({ ...base, questions: [{ id: 'Bad Id', type: 'text', prompt: 'p' }] }, 't.json'),
    ).toThrow(/t\.json: questions\.0\.id: expected a lower-case identifier/);
    expect(() =>
      parseTemplate({ ...base, questions: [{ id: 's', type: 'scale', prompt: 'p', min: 3, max: 1 }] }, 't.json'),
    ).toThrow(/expected min < max/);
    expect(() => parseTemplate('{not json', 'broken.json')).toThrow(/broken\.json: expected JSON/);
  });
});
