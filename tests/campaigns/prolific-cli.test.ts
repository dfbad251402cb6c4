// Issue 11 (review): `campaign create --max-skips N` bounds skips per rater (2 by default with a
// Prolific code, unlimited otherwise; "none" for unlimited) and `--prolific-places N` gives the
// study's number of places. Bad values are refused naming the option, and nothing is created.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeProject, tempDir } from '../helpers/factories';
import { runCaptured } from '../helpers/cli';

afterEach(() => vi.restoreAllMocks());

/** Runs the CLI in-process and captures what it prints (tests/helpers/cli.ts). */
const cli = runCaptured;

const ITEMS = [
  'question,answer,options',
  'What is shown?,A goldfish.,"[""goldfish"",""volcano""]"',
  'What is shown?,Lava.,"[""goldfish"",""volcano""]"',
].join('\n');

describe('campaign create: skips and places', () => {
  it('--max-skips sets the bound (0 and "none" included); without it, 2 with --prolific-code and unlimited without', async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'items.csv');
    fs.writeFileSync(file, ITEMS);
    const base = ['campaign', 'create', '--project', project.dir, '--template', 'concept-choice', '--items', file];
    const settingsOf = (name: string) =>
      JSON.parse(project.db.prepare('SELECT settings_json FROM campaigns WHERE name = ?').pluck().get(name) as string);
    for (const [name, args, expected] of [
      ['Plain', [], null],
      ['Paid', ['--prolific-code', 'PAID'], 2],
      ['Zero', ['--prolific-code', 'PAID', '--max-skips', '0'], 0],
      ['Five', ['--max-skips', '5'], 5],
      ['Free', ['--prolific-code', 'PAID', '--max-skips', 'none'], null],
    ] as const) {
      const result = await cli([...base, '--name', name, ...args]);
      expect(result.code, `${name}: ${result.err}`).toBe(0);
      expect(settingsOf(name).maxSkipsPerRater, name).toBe(expected);
    }
    for (const bad of ['-1', '1.5', 'lots']) {
      // --opt=value: a lone "-1" would read as an option of its own.
      const result = await cli([...base, '--name', `Bad ${bad}`, `--max-skips=${bad}`]);
      expect(result.code, bad).not.toBe(0);
      expect(result.err).toMatch(/--max-skips: expected a whole number of 0 or more, or "none"/);
    }
    expect(project.db.prepare("SELECT COUNT(*) FROM campaigns WHERE name LIKE 'Bad%'").pluck().get()).toBe(0);
  });

  it("--prolific-places sets the study's places, a whole number of 1 or more, only with --prolific-code", async () => {
    const project = makeProject();
    const file = path.join(tempDir(), 'items.csv');
    fs.writeFileSync(file, ITEMS);
    const base = ['campaign', 'create', '--project', project.dir, '--template', 'concept-choice', '--items', file];
    expect((await cli([...base, '--name', 'Forty', '--prolific-code', 'PAID', '--prolific-places', '40'])).code).toBe(
      0,
    );
    expect(
      JSON.parse(project.db.prepare("SELECT settings_json FROM campaigns WHERE name = 'Forty'").pluck().get() as string)
        .prolific,
    ).toMatchObject({ completionCode: 'PAID', places: 40 });
    const zero = await cli([...base, '--name', 'Zero', '--prolific-code', 'PAID', '--prolific-places', '0']);
    expect(zero.code).not.toBe(0);
    expect(zero.err).toMatch(/--prolific-places: expected a whole number of 1 or more/);
    const alone = await cli([...base, '--name', 'Alone', '--prolific-places', '40']);
    expect(alone.code).not.toBe(0);
    expect(alone.err).toMatch(/--prolific-places: needs --prolific-code/);
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(1);
  });
});
