// The results page in Chromium: the steering dose-response and the feature plots are drawn (Observable
// Plot), and a plot saves as SVG, PNG and CSV files that a researcher can put in a paper.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, RaterItem } from '../../src-main/contract/types';
import { CONCEPT_CAMPAIGN, LABEL_CAMPAIGN } from '../../src-main/demo/campaigns';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { openProject } from '../../src-main/project/project';
import { insertRater } from '../../src-main/store/raters';
import { tempDir } from '../helpers/factories';
import { launchChromium, serve, sightline, type Served } from './harness';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Three raters answer every item of the named campaign; returns its id. */
function rateCampaign(
  projectDir: string,
  name: string,
  answer: (item: RaterItem, hidden: Record<string, unknown>, rater: number) => Answer,
): number {
  const project = openProject(projectDir);
  try {
    const campaignId = project.db.prepare('SELECT id FROM campaigns WHERE name = ?').pluck().get(name) as number;
    ['ana', 'ben', 'cai'].forEach((raterName, r) => {
      const rater = insertRater(project.db, campaignId, raterName, 100 + r);
      for (;;) {
        const [item] = nextItems(project.db, rater, 1).items;
        if (!item) break;
        const hidden = JSON.parse(
          project.db
            .prepare('SELECT i.hidden_json FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
            .pluck()
            .get(item.assignmentId) as string,
        ) as Record<string, unknown>;
        submitJudgement(project.db, rater, {
          assignmentId: item.assignmentId,
          answer: answer(item, hidden, r),
          activeMs: 3000 + r * 500,
        });
      }
    });
    return campaignId;
  } finally {
    project.close();
  }
}

/** SIGHTLINE_SCREENSHOTS=DIR keeps a picture of each results page at 1440×900 (full height), for a person to look at. */
async function snap(page: Page, name: string): Promise<void> {
  const dir = process.env.SIGHTLINE_SCREENSHOTS;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `results-${name}.png`), fullPage: true });
}

/** Clicks a plot's save button and returns the downloaded file's name and bytes. */
async function save(page: Page, plot: string, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId(plot).getByRole('button', { name: button }).click(),
  ]);
  const file = path.join(tempDir('sightline-download-'), download.suggestedFilename());
  await download.saveAs(file);
  return { name: download.suggestedFilename(), bytes: fs.readFileSync(file) };
}

describe('end to end: results page plots', () => {
  let served: Served;
  let conceptId: number;
  let labelId: number;
  let relatednessId: number;
  let intruderId: number;
  let detectionId: number;
  let pairwiseId: number;
  let root: string;
  beforeAll(async () => {
    // Not tempDir: that folder is removed after each test, and the project serves both tests.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-'));
    const projectDir = path.join(root, 'demo.sightline');
    sightline(['demo', '--project', projectDir]);
    // Steered answers: raters choose the target class from k = 10 on, the source class below.
    conceptId = rateCampaign(projectDir, CONCEPT_CAMPAIGN, (_item, hidden) => ({
      concept: String(Number(hidden.k) >= 10 ? hidden.target_class : hidden.source_class),
    }));
    labelId = rateCampaign(projectDir, LABEL_CAMPAIGN, (_item, _hidden, r) => ({
      label: `label ${r}`,
      interpretability: 3 + r,
      modality: r === 2 ? 'text' : 'image',
    }));
    // The demo's steered answers again, rated for relatedness to the target and coherence.
    sightline([
      'campaign',
      'create',
      '--project',
      projectDir,
      '--name',
      'Relatedness',
      '--template',
      'concept-relatedness',
      '--from',
      'generations',
      '--overlap',
      '2',
    ]);
    relatednessId = rateCampaign(projectDir, 'Relatedness', (_item, hidden) => ({
      relatedness: Number(hidden.k) >= 10 ? '1' : '0',
      coherence: Number(hidden.k) >= 20 ? 2 : 5,
    }));
    // Intruder and detection from the four densest features (each has the top examples they need).
    const project = openProject(projectDir);
    const dense = (
      project.db.prepare('SELECT id FROM features ORDER BY density DESC LIMIT 4').pluck().all() as number[]
    ).join(',');
    project.close();
    for (const template of ['intruder', 'feature-detection']) {
      sightline([
        'campaign',
        'create',
        '--project',
        projectDir,
        '--name',
        template,
        '--template',
        template,
        '--from',
        'features',
        '--features',
        dense,
        '--overlap',
        '3',
      ]);
    }
    // Intruder: two raters always find it, the third only on the first feature's item.
    intruderId = rateCampaign(projectDir, 'intruder', (item, hidden, r) => {
      const question = item.questions[0];
      const other =
        question.type === 'choice'
          ? question.options.find((option) => option.value !== hidden.intruder_option)!.value
          : '';
      return {
        intruder: r < 2 || hidden.feature_id === Number(dense.split(',')[0]) ? String(hidden.intruder_option) : other,
      };
    });
    // Detection: one rater ticks exactly the activating examples, one the first two of them, one nothing.
    detectionId = rateCampaign(projectDir, 'feature-detection', (_item, hidden, r) => ({
      activating: (hidden.activating_options as string[]).slice(0, [4, 2, 0][r]),
    }));
    // Pairwise, steered against k = 0 answers: left, right and tie by rater (sides are counterbalanced).
    sightline([
      'campaign',
      'create',
      '--project',
      projectDir,
      '--name',
      'pairwise',
      '--template',
      'pairwise',
      '--from',
      'generations',
      '--overlap',
      '3',
    ]);
    pairwiseId = rateCampaign(projectDir, 'pairwise', (_item, _hidden, r) => ({
      preference: ['left', 'right', 'tie'][r],
    }));
    served = await serve(projectDir);
  });
  afterAll(async () => {
    await served?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('draws the dose-response curve and saves it as SVG, PNG and CSV', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`${served.researcherUrl}#/campaign/${conceptId}/results`);
    const svg = page.getByTestId('dose-response-plot').locator('svg').first();
    await svg.waitFor();
    await expect(page.getByTestId('steering-results').innerText()).resolves.toContain(
      'Success: answer.concept == hidden.target_class',
    );

    const vector = await save(page, 'dose-response-plot', 'Save SVG');
    expect(vector.name).toMatch(/^Which_concept-results-dose-response-all-pairs\.svg$/);
    const text = vector.bytes.toString('utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(text).toContain('steering coefficient k');
    expect(text).toMatch(/<path[^>]+d="M/); // the curve itself
    // The legend travels with the figure: which colour is which layer.
    expect(text).toMatch(/<text[^>]*>layer \d+<\/text>/);
    const width = Number(/width="(\d+(?:\.\d+)?)"/.exec(text)![1]);
    const height = Number(/height="(\d+(?:\.\d+)?)"/.exec(text)![1]);

    const raster = await save(page, 'dose-response-plot', 'Save PNG');
    expect(raster.name.endsWith('.png')).toBe(true);
    const png = PNG.sync.read(raster.bytes);
    // Drawn at 2x on a white background, with the curve's ink on it.
    expect([png.width, png.height]).toEqual([Math.round(width * 2), Math.round(height * 2)]);
    expect(png.data.slice(0, 4)).toEqual(Buffer.from([255, 255, 255, 255]));
    let dark = 0;
    for (let offset = 0; offset < png.data.length; offset += 4)
      if (png.data[offset] < 128 || png.data[offset + 1] < 128 || png.data[offset + 2] < 128) dark++;
    expect(dark).toBeGreaterThan(500);

    const data = await save(page, 'dose-response-plot', 'Data (CSV)');
    const rows = parse(data.bytes.toString('utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([
      'series',
      'layer',
      'source',
      'target',
      'k',
      'n',
      'successes',
      'rate',
      'lower',
      'upper',
    ]);
    // The raters chose the target exactly from k = 10 on.
    for (const row of rows) expect(Number(row.rate)).toBe(Number(row.k) >= 10 ? 1 : 0);
    expect(rows.every((row) => Number(row.lower) <= Number(row.rate) && Number(row.rate) <= Number(row.upper))).toBe(
      true,
    );

    // One class pair: its own curve and file name.
    const select = page.getByTestId('class-pair-select');
    const pairs = await select.locator('option').allInnerTexts();
    expect(pairs[0]).toBe('All class pairs');
    expect(pairs.length).toBeGreaterThan(1);
    await select.selectOption({ index: 1 });
    const pairSvg = await save(page, 'dose-response-plot', 'Save SVG');
    expect(pairSvg.name).not.toContain('all-pairs');
    await page.close();
  });

  it('draws a relatedness campaign: success against k, and mean relatedness and coherence against k in plots of their own', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`${served.researcherUrl}#/campaign/${relatednessId}/results`);
    await page.getByTestId('dose-response-plot').locator('svg').first().waitFor();
    await page.getByTestId('mean-plot-relatedness').locator('svg').first().waitFor();
    await page.getByTestId('mean-plot-coherence').locator('svg').first().waitFor();
    await expect(page.getByTestId('steering-results').innerText()).resolves.toContain('answer.relatedness >= 0.5');
    const data = await save(page, 'mean-plot-coherence', 'Data (CSV)');
    const rows = parse(data.bytes.toString('utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual(['series', 'question', 'k', 'n', 'mean', 'lower', 'upper']);
    // Every rater gave the same coherence at a given k, so each interval has zero width.
    for (const row of rows)
      expect([Number(row.mean), Number(row.lower), Number(row.upper)]).toEqual(
        Array(3).fill(Number(row.k) >= 20 ? 2 : 5),
      );
    // The axes are the whole scales (issue 15), not the range the answers happened to cover (2–5 here).
    const yTicks = async (testId: string) =>
      (await page.getByTestId(testId).locator('[aria-label="y-axis tick label"] text').allTextContents()).map(Number);
    for (const [testId, [low, high]] of [
      ['mean-plot-coherence', [1, 5]],
      ['mean-plot-relatedness', [0, 1]],
    ] as const) {
      const ticks = await yTicks(testId);
      expect([Math.min(...ticks), Math.max(...ticks)]).toEqual([low, high]);
    }
    await page.close();
  });

  it('exports the Hugging Face dataset folder from the Export panel as a job that reports when it is done', async () => {
    const page = await browser.newPage();
    await page.goto(`${served.researcherUrl}#/campaign/${conceptId}/results`);
    await page.getByTestId('export-hf').click();
    const finished = page.locator('[data-testid="export-finished"][data-state="done"]');
    await finished.waitFor();
    const folder = await finished.locator('code').innerText();
    expect(fs.readdirSync(path.join(folder, 'data')).filter((name) => name.endsWith('.parquet'))).toHaveLength(1);
    const card = fs.readFileSync(path.join(folder, 'README.md'), 'utf8');
    expect(card).toContain('## How the data was collected');
    expect(card).toContain('## Agreement');
    expect(JSON.parse(fs.readFileSync(path.join(folder, 'provenance.json'), 'utf8')).raters.identities).toBe(
      'pseudonymous',
    );
    await page.close();
  });

  it('draws the feature results: label coverage, the score histogram and modality votes against the mined split', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`${served.researcherUrl}#/campaign/${labelId}/results`);
    await page.getByTestId('score-histogram').locator('svg').first().waitFor();
    await page.getByTestId('modality-votes').locator('svg').first().waitFor();
    await expect(page.getByTestId('label-coverage').innerText()).resolves.toMatch(/\d+ of \d+/);
    const histogram = await save(page, 'score-histogram', 'Save SVG');
    expect(histogram.bytes.toString('utf8')).toContain('xmlns="http://www.w3.org/2000/svg"');
    const data = await save(page, 'score-histogram', 'Data (CSV)');
    const bins = parse(data.bytes.toString('utf8'), { columns: true }) as { score: string; count: string }[];
    // Overlap 2: the first two raters score every feature 3 and 4; the third gets no items.
    const counts = Object.fromEntries(bins.map((bin) => [bin.score, Number(bin.count)]));
    expect(counts['3']).toBeGreaterThan(0);
    expect(counts['3']).toBe(counts['4']);
    expect(counts['5'] ?? 0).toBe(0);
    await page.close();
  });

  it('shows every task score: intruder accuracy, detection precision / recall / F1 by bucket, pairwise win rates', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${served.researcherUrl}#/campaign/${intruderId}/results`);
    await page.getByTestId('intruder-plot').locator('svg').first().waitFor();
    // 4 items x 3 raters; the third rater misses on three of them: 9 of 12.
    await expect(page.getByTestId('intruder-score').innerText()).resolves.toMatch(
      /9 \/ 12 = 75\.0% \[[\d.]+%, [\d.]+%\].*\(chance 20\.0%\)/s,
    );
    await snap(page, 'intruder');

    await page.goto(`${served.researcherUrl}#/campaign/${detectionId}/results`);
    await page.getByTestId('detection-bucket-plot').locator('svg').first().waitFor();
    // 4 activating of 6 shown, per judgement: TP 4 + 2 + 0, FN 0 + 2 + 4, no false positives.
    // Precision 1, recall 6/12 = 0.5, F1 = 12 / (12 + 6) = 0.667.
    const detection = await page.getByTestId('detection-score').innerText();
    expect(detection).toMatch(/Precision 1\.000, recall 0\.500, F1 0\.667/);
    expect(await page.getByTestId('detection-score').locator('tbody tr').count()).toBe(4);
    await snap(page, 'detection');

    await page.goto(`${served.researcherUrl}#/campaign/${pairwiseId}/results`);
    await page.getByTestId('pairwise-plot').locator('svg').first().waitFor();
    const pairwise = await page.getByTestId('pairwise-score').innerText();
    expect(pairwise).toMatch(/a won \d+ \/ \d+ = [\d.]+%/);
    // Systems in numeric order: k=0 first, then the steered ones by k.
    const systems = await page.getByTestId('pairwise-score').locator('tbody tr td:first-child').allInnerTexts();
    expect(systems[0]).toBe('k=0');
    expect(systems.slice(1).map((system) => Number(system.replace('k=', '')))).toEqual(
      systems
        .slice(1)
        .map((system) => Number(system.replace('k=', '')))
        .sort((a, b) => a - b),
    );
    if (systems.length > 2)
      await expect(page.getByTestId('bradley-terry-note').innerText()).resolves.toMatch(/Bradley–Terry/);
    await snap(page, 'pairwise');
    await page.close();
  });

  it("shows the raters' labels side by side and accepts one as the feature's label, shown on the feature page", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${served.researcherUrl}#/campaign/${labelId}/results`);
    const table = page.getByTestId('feature-labels');
    await table.waitFor();
    const firstRow = table.locator('tbody tr').first();
    await expect(firstRow.locator('.label-text').allInnerTexts()).resolves.toEqual(['label 0', 'label 1']);
    await expect(firstRow.locator('td').nth(2).innerText()).resolves.toBe('50%');
    await page.getByTestId('accepted-by').fill('Dr. Ada');
    await firstRow.getByRole('button', { name: /Accept "label 1"/ }).click();
    const accepted = firstRow.locator('[data-testid^="accepted-"]');
    await expect.poll(() => accepted.innerText()).toMatch(/label 1\s+Dr\. Ada, \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    await snap(page, 'feature-labels');
    // The link leads to the feature, whose page names the label and who accepted it.
    await firstRow.locator('td a').first().click();
    await expect(page.getByTestId('accepted-label').innerText()).resolves.toMatch(
      /Label accepted by Dr\. Ada on \d{4}-\d\d-\d\d/,
    );
    await expect(page.locator('h1').innerText()).resolves.toContain('label 1');
    await page.close();
  });
});
