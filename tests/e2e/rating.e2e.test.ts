import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/factories';
import { launchChromium, serve, sightline, type Served } from './harness';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

interface Shown {
  assignmentId: number;
  options: string[];
  answerText: string;
}

async function currentItem(page: Page): Promise<Shown> {
  const item = page.getByTestId('rater-item');
  await item.waitFor();
  return {
    assignmentId: Number(await item.getAttribute('data-assignment-id')),
    options: await page.getByTestId('option').allInnerTexts(),
    answerText: (await page.getByTestId('answer-text').allInnerTexts()).join('\n'),
  };
}

const liveSubmissions = (dbFile: string): number => {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT COUNT(*) FROM judgements j WHERE action = 'submit' AND NOT EXISTS (SELECT 1 FROM judgements s WHERE s.supersedes_id = j.id)",
      )
      .pluck()
      .get() as number;
  } finally {
    db.close();
  }
};

describe('end to end: researcher, rater, export', () => {
  let served: Served;
  let projectDir: string;
  beforeAll(async () => {
    projectDir = path.join(tempDir('sightline-e2e-'), 'demo.sightline');
    sightline(['demo', '--project', projectDir]);
    served = await serve(projectDir);
  });
  afterAll(async () => {
    await served?.stop();
  });

  it('a rater rates five "Which concept?" items with the keyboard, undoes one, and the export has exactly those rows', async () => {
    // Researcher: open the demo, find the campaign, add a rater, read the link.
    const researcher = await browser.newPage();
    await researcher.goto(served.researcherUrl);
    await researcher
      .getByRole('link', { name: /campaigns/i })
      .first()
      .click();
    const row = researcher.getByTestId('campaign-row').filter({ hasText: 'Which concept?' });
    await row.waitFor();
    // Each campaign card holds its own rater form and links.
    await row.getByTestId('add-rater-name').fill('Ada');
    await row.getByTestId('add-rater-submit').click();
    const link = row.getByTestId('rater-link').filter({ hasText: '/rate?token=' }).last();
    await link.waitFor();
    const raterUrl = (await link.innerText()).trim();
    expect(raterUrl).toMatch(new RegExp(`^${served.url}/rate\\?token=`));

    // Rater: a fresh browser context (no researcher token), keyboard only.
    const context = await browser.newContext();
    const rater = await context.newPage();
    await rater.goto(raterUrl);
    const dbFile = path.join(projectDir, 'project.sqlite');
    const chosen = new Map<number, { options: string[]; value: string }>();
    for (let n = 1; n <= 5; n++) {
      const shown = await currentItem(rater);
      expect(shown.options.length).toBe(5); // four concepts, shuffled per rater, then "None / unintelligible"
      const digit = ((n % 4) + 1) as number;
      await rater.keyboard.press(String(digit));
      await rater.keyboard.press('Enter');
      chosen.set(shown.assignmentId, { options: shown.options, value: shown.options[digit - 1] });
      await expect
        .poll(async () =>
          Number(
            await rater
              .getByTestId('rater-item')
              .getAttribute('data-assignment-id')
              .catch(() => 0),
          ),
        )
        .not.toBe(shown.assignmentId);
      // The judgement was durable before the next item appeared.
      expect(liveSubmissions(dbFile)).toBe(n);
      await expect.poll(() => rater.getByTestId('rater-progress').innerText()).toMatch(new RegExp(`^${n}\\s*/`));
    }

    // Undo the last submission: the same item comes back; answer it differently.
    const lastId = [...chosen.keys()].at(-1)!;
    await rater.keyboard.press('Backspace');
    await expect
      .poll(async () => Number(await rater.getByTestId('rater-item').getAttribute('data-assignment-id')))
      .toBe(lastId);
    expect(liveSubmissions(dbFile)).toBe(4);
    const again = await currentItem(rater);
    expect(again.options).toEqual(chosen.get(lastId)!.options); // same shown order after undo
    await rater.keyboard.press('5');
    await rater.keyboard.press('Enter');
    chosen.set(lastId, { options: again.options, value: 'none' });
    await expect.poll(() => liveSubmissions(dbFile)).toBe(5);

    // Export through the CLI: exactly the five live judgements, with the order each was shown in
    // (the default carries the compact shown_order; --full-shown adds the questions as shown).
    const out = path.join(tempDir(), 'which-concept.jsonl');
    const printed = JSON.parse(
      sightline([
        'export',
        '--project',
        projectDir,
        '--campaign',
        'Which concept?',
        '--format',
        'jsonl',
        '--out',
        out,
        '--json',
      ]),
    );
    expect(printed.rows).toBe(5);
    const full = path.join(tempDir(), 'which-concept-full.jsonl');
    sightline([
      'export',
      '--project',
      projectDir,
      '--campaign',
      'Which concept?',
      '--format',
      'jsonl',
      '--out',
      full,
      '--full-shown',
      '--json',
    ]);
    const read = (file: string) =>
      fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    const rows = read(out);
    expect(rows).toHaveLength(5);
    const fullByAssignment = new Map(read(full).map((record) => [record.assignment_id, record]));
    const byAssignment = new Map(rows.map((record) => [record.assignment_id, record]));
    for (const [assignmentId, expected] of chosen) {
      const record = byAssignment.get(assignmentId);
      expect(record, `assignment ${assignmentId} exported`).toBeDefined();
      const options = fullByAssignment.get(assignmentId).shown.questions[0].options as {
        value: string;
        label: string;
      }[];
      expect(options.map((option) => option.label)).toEqual(expected.options);
      expect(record.shown_order.concept).toEqual(options.map((option) => option.value));
      const expectedValue =
        expected.value === 'none' ? 'none' : options.find((option) => option.label === expected.value)!.value;
      expect(record.answer.concept).toBe(expectedValue);
      expect(record.rater).toMatch(/^R\d{3}$/); // pseudonymous by default
    }
    await context.close();
    await researcher.close();
  });
});
