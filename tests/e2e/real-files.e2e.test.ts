// Issue 15, "Real files in", in Chromium: the reference study's CSV goes into a concept-choice
// campaign through the builder page as published (four class columns named "options" make the
// list; the steering columns picked by role), the coherence pairs CSV gets its criterion and its
// k = 0 side as fixed values (the side hidden) and makes the same items as the CLI's one mapping,
// and the campaign card archives and deletes (each after a confirm). Set SIGHTLINE_SCREENSHOTS=<dir>
// to keep screenshots.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, repoRoot, serve, sightline, type Served } from './harness';

let browser: Browser;
let served: Served;
let projectDir: string;
const screenshots = process.env.SIGHTLINE_SCREENSHOTS;
const soon = { timeout: 5000 };
const REFERENCE_CSV = fs.readFileSync(path.join(repoRoot, 'tests/fixtures/reference-study/steered-answers.csv'));
const PAIRS_CSV = path.join(repoRoot, 'tests/fixtures/reference-study/coherence-pairs.csv');
const PAIRS_MAPPING = path.join(repoRoot, 'tests/fixtures/reference-study/coherence-pairs.mapping.json');

beforeAll(async () => {
  projectDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-realfiles-')), 'study.sightline');
  sightline(['init', '--project', projectDir]);
  [browser, served] = await Promise.all([launchChromium(), serve(projectDir)]);
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  fs.rmSync(path.dirname(projectDir), { recursive: true, force: true });
});

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(projectDir, 'project.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function snap(page: Page, name: string): Promise<void> {
  if (!screenshots) return;
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

async function openBuilder(page: Page, templateId: string, fileName: string, buffer: Buffer): Promise<void> {
  await page.goto(served.researcherUrl);
  await page.getByRole('link', { name: 'Campaigns' }).click();
  await page.getByTestId('new-campaign').click();
  await page.locator(`[data-testid="template-choice"][data-template-id="${templateId}"]`).click();
  await page.getByTestId('source-file').check();
  await page.getByTestId('item-file').setInputFiles({ name: fileName, mimeType: 'text/csv', buffer });
  await page.getByTestId('column-mapping').waitFor();
}

const row = (page: Page, column: string) => page.locator(`[data-testid="mapping-row"][data-column="${column}"]`);

async function createAs(page: Page, name: string): Promise<void> {
  await page.getByTestId('import-ok').waitFor();
  await page.getByTestId('campaign-name').fill(name);
  await page.getByTestId('create-campaign').click();
  await expect.poll(() => new URL(page.url()).hash, soon).toMatch(/^#\/campaign\/\d+$/);
}

describe('real files through the builder page', () => {
  it('the reference CSV: four class columns named "options" make the list, and the steering columns are chosen by role', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await openBuilder(page, 'concept-choice', 'steered-answers.csv', REFERENCE_CSV);
    // As proposed, every column is its own payload field, so the template's options are missing.
    await page.getByTestId('import-problem').waitFor();
    expect(await page.getByTestId('import-problem').innerText()).toContain('options');
    for (const column of ['og_class', 'target_class', 'distractor1', 'distractor2'])
      await row(page, column).getByRole('textbox').fill('options');
    for (const column of ['steering_score', 'layer'])
      await row(page, column).getByTestId('mapping-role').selectOption('ignore');
    const roles = page.getByTestId('steering-roles');
    await roles.getByLabel('Steering strength column').selectOption('steering_score');
    await roles.getByLabel('Steering source column').selectOption('og_class');
    await roles.getByLabel('Steering target column').selectOption('target_class');
    await roles.getByLabel('Steering layer column').selectOption('layer');
    await snap(page, 'builder-reference-csv');
    await createAs(page, 'Steered answers');
    const items = query<{ payload_json: string; hidden_json: string; condition: string }>(
      "SELECT i.payload_json, i.hidden_json, i.condition FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = 'Steered answers' ORDER BY i.position",
    );
    expect(items).toHaveLength(20);
    expect(JSON.parse(items[2].payload_json)).toEqual({
      question: 'What is shown in this image? Answer in one sentence.',
      answer: 'This is a volcano, seen from the side.',
      options: ['goldfish', 'volcano', 'strawberry', 'tabby cat'],
    });
    expect(JSON.parse(items[2].hidden_json)).toEqual({
      k: 20,
      source_class: 'goldfish',
      target_class: 'volcano',
      layer: 20,
    });
    expect(items[2].condition).toBe('k=20');
    await page.close();
  });

  it("the coherence pairs CSV: the criterion and the k = 0 side as fixed values (one hidden) give the CLI mapping's campaign", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await openBuilder(page, 'pairwise', 'coherence-pairs.csv', fs.readFileSync(PAIRS_CSV));
    await row(page, 'question').getByRole('textbox').fill('prompt');
    await row(page, 'steered_answer').getByRole('textbox').fill('a');
    await row(page, 'default_answer').getByRole('textbox').fill('b');
    for (const [column, field] of [
      ['steering_score', 'a'],
      ['layer', 'layer'],
    ]) {
      await row(page, column).getByTestId('mapping-role').selectOption('hidden');
      await row(page, column).getByRole('textbox').fill(field);
    }
    await page.getByTestId('add-fixed-value').click();
    await page.getByLabel('Fixed value 1: field').fill('criterion');
    await page.getByLabel('Fixed value 1: value').fill('Which answer is more coherent?');
    await page.getByTestId('add-fixed-value').click();
    await page.getByLabel('Fixed value 2: field').fill('b');
    await page.getByLabel('Fixed value 2: value').fill('0');
    await page.getByLabel('Fixed value 2: hidden from raters').check();
    await createAs(page, 'Coherence pairs');
    await snap(page, 'real-files-coherence-pairs');
    // The same file through `campaign create --mapping coherence-pairs.mapping.json` gives the same items.
    sightline([
      'campaign',
      'create',
      '--project',
      projectDir,
      '--name',
      'Coherence pairs (CLI)',
      '--template',
      'pairwise',
      '--items',
      PAIRS_CSV,
      '--mapping',
      PAIRS_MAPPING,
    ]);
    const itemsOf = (name: string) =>
      query<{ payload_json: string; hidden_json: string; condition: string | null }>(
        'SELECT i.payload_json, i.hidden_json, i.condition FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = ? ORDER BY i.position',
        name,
      ).map((item) => ({
        payload: JSON.parse(item.payload_json),
        hidden: JSON.parse(item.hidden_json),
        condition: item.condition,
      }));
    const built = itemsOf('Coherence pairs');
    expect(built).toHaveLength(15);
    expect(built[2].payload).toEqual({
      prompt: 'What is shown in this image? Answer in one sentence.',
      a: 'volcano volcano, volcano -- the the volcano',
      b: 'The image shows a goldfish, photographed up close.',
      criterion: 'Which answer is more coherent?',
    });
    expect(built[2].hidden).toEqual({ a: 30, b: 0, layer: 20 });
    expect(built).toEqual(itemsOf('Coherence pairs (CLI)'));
    await page.close();
  });

  it('the campaign card archives and deletes after a confirm; dismissing the confirm changes nothing', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(served.researcherUrl);
    await page.getByRole('link', { name: 'Campaigns' }).click();
    const card = (name: string) =>
      page.locator('[data-testid="campaign-row"]').filter({ has: page.getByRole('heading', { name, exact: true }) });
    await card('Coherence pairs').waitFor();

    page.once('dialog', (dialog) => void dialog.dismiss());
    await card('Coherence pairs').getByTestId('delete-campaign').click();
    await expect.poll(() => query('SELECT 1 FROM campaigns WHERE name = ?', 'Coherence pairs').length, soon).toBe(1);

    let asked = '';
    page.once('dialog', (dialog) => ((asked = dialog.message()), void dialog.accept()));
    await card('Coherence pairs').getByTestId('delete-campaign').click();
    await page.getByTestId('campaign-removed').waitFor();
    expect(asked).toContain('No rater has submitted anything');
    expect(await page.getByTestId('campaign-removed').innerText()).toBe('Deleted "Coherence pairs".');
    expect(query('SELECT 1 FROM campaigns WHERE name = ?', 'Coherence pairs')).toEqual([]);

    page.once('dialog', (dialog) => void dialog.accept());
    await card('Steered answers').getByTestId('archive-campaign').click();
    await page.getByTestId('campaign-removed').filter({ hasText: 'Archived' }).waitFor();
    await expect.poll(() => card('Steered answers').count(), soon).toBe(0);
    expect(
      query<{ status: string; archived: number }>(
        "SELECT status, archived_at IS NOT NULL AS archived FROM campaigns WHERE name LIKE 'Steered answers (archived #%'",
      ),
    ).toEqual([{ status: 'closed', archived: 1 }]);
    await snap(page, 'campaigns-after-archive');
    await page.close();
  });
});
