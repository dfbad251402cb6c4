// Issue 15: a hand-written mapping file with a JSON mistake gets one line naming the file, the line
// and the column (it used to be a stack trace, then a message without a place).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonErrorOffset, jsonValueOffset, lineAndColumn, parseJsonText } from '../../src-main/util/json-text';
import { hashSeed, mulberry32 } from '../../src-main/util/random';
import { makeProject, tempDir } from '../helpers/factories';
import { runCaptured } from '../helpers/cli';

afterEach(() => vi.restoreAllMocks());

const CSV = path.join(import.meta.dirname, '../fixtures/reference-study/steered-answers.csv');

/** Runs the CLI in-process and captures what it prints (tests/helpers/cli.ts). */
const cli = runCaptured;

describe('bad mapping JSON', () => {
  it('campaign create --mapping with a trailing comma prints one line with the file, line and column, and creates nothing', async () => {
    const project = makeProject();
    const map = path.join(tempDir(), 'map.json');
    fs.writeFileSync(map, '{\n  "payload": {\n    "question": "question",\n    "answer": "answer",\n  }\n}\n');
    const result = await cli([
      'campaign',
      'create',
      '--project',
      project.dir,
      '--name',
      'x',
      '--template',
      'concept-choice',
      '--items',
      CSV,
      '--mapping',
      map,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toContain(`${map}: line 5, column 3: expected valid JSON, found "}"`);
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(0);
  });

  it('names the place of common mistakes (as an editor counts, from 1)', () => {
    const place = (text: string) => lineAndColumn(text, jsonErrorOffset(text));
    expect(place('{"a": 1,}')).toEqual({ line: 1, column: 9 });
    expect(place('{\n  "a": \'x\'\n}')).toEqual({ line: 2, column: 8 });
    expect(place('{"a": [1, 2}')).toEqual({ line: 1, column: 12 });
    expect(place('{"a": 1} x')).toEqual({ line: 1, column: 10 });
    expect(place('{"a": "tab\there"}')).toEqual({ line: 1, column: 11 });
    expect(place('{"a": tru}')).toEqual({ line: 1, column: 10 });
    expect(place('{"a": 01}')).toEqual({ line: 1, column: 8 });
    expect(() => parseJsonText('{"a": ', 'm.json')).toThrow(
      /^m\.json: line 1, column 7: expected valid JSON, found the end of the file$/,
    );
    expect(parseJsonText('\ufeff{"a": [1]}', 'bom.json')).toEqual({ a: [1] });
  });

  it('finds the value a schema refuses (or its key) where an editor shows it', () => {
    const text = '{\n  "payload": {\n    "options": ["a", 7],\n    "q\\"x": {"const": 1}\n  },\n  "extra": true\n}';
    const place = (path: (string | number)[], key = false) => lineAndColumn(text, jsonValueOffset(text, path, { key }));
    expect(place(['payload', 'options', 1])).toEqual({ line: 3, column: 22 });
    expect(place(['payload', 'q"x', 'const'])).toEqual({ line: 4, column: 23 });
    expect(place(['extra'], true)).toEqual({ line: 6, column: 3 });
    // A missing field: the object that should have had it.
    expect(place(['payload', 'answer'])).toEqual({ line: 2, column: 14 });
    expect(place([])).toEqual({ line: 1, column: 1 });
  });

  it('agrees with JSON.parse on which texts are JSON, over seeded mutations of a mapping', () => {
    const base = JSON.stringify(
      {
        payload: { options: ['og_class', 'target_class'], criterion: { const: 'Which is "more" coherent?\u00e9' } },
        steering: { strength: 'k', layer: 'layer' },
        n: [-1.5e3, 0, true, null],
      },
      null,
      2,
    );
    const rng = mulberry32(hashSeed('json-text'));
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      '\n',
      ' ',
      'e',
      '-',
      '0',
      '1',
      '.',
      'u',
      'x',
      'true',
      'nul',
      '\u0001',
    ];
    for (let round = 0; round < 2000; round++) {
      let text = base;
      for (let edit = 0, edits = 1 + Math.floor(rng() * 3); edit < edits; edit++) {
        const at = Math.floor(rng() * (text.length + 1));
        const choice = rng();
        if (choice < 0.4) text = text.slice(0, at) + text.slice(at + 1);
        else
          text = text.slice(0, at) + pieces[Math.floor(rng() * pieces.length)] + text.slice(choice < 0.7 ? at : at + 1);
      }
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect({ text, valid: jsonErrorOffset(text) === -1 }).toEqual({ text, valid });
    }
  });
});
