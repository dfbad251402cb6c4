// Feature pages that show enough at a glance (issue 15), in Chromium on the demo project made by the
// built CLI: the image feature's page at 1440×900 fits in about three screens with its examples in a
// grid, a legend and the SAE / layer / model in the header, and folds a quantile bucket away; a
// text-only feature draws no image frame; tokens have no '·' separators; the feature list has an
// SAE / layer column and a preview per row, keeps its filters and sort in the address across a visit
// to a feature and "back", and links features as sae/index (old row-id links redirect there). At
// 390×844 (a phone) neither page scrolls sideways. Every page is photographed into a gitignored
// folder (test-results/screenshots, or SIGHTLINE_SCREENSHOTS) and each picture is checked non-blank.
// Expected values come from the store, never from the page itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, repoRoot, serve, sightline, type Served } from './harness';

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
/** About three desktop screens (3 × 900, with a little slack for the header). */
const MAX_PAGE_HEIGHT = 2800;
const screenshots = process.env.SIGHTLINE_SCREENSHOTS ?? path.join(repoRoot, 'test-results', 'screenshots');

interface FeatureFacts {
  id: number;
  index: number;
  sae: string;
  layer: number;
  model: string;
  examples: number;
  buckets: string[];
}

let root: string;
let demo: string;
let browser: Browser;
let served: Served;

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(demo, 'project.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Mined features with their SAE, model and buckets, most examples first. */
function features(where: string): FeatureFacts[] {
  return query<Omit<FeatureFacts, 'buckets'> & { buckets: string }>(
    `SELECT f.id, f.feature_index AS "index", s.name AS sae, s.layer, m.name AS model,
            (SELECT COUNT(*) FROM examples e WHERE e.feature_id = f.id) AS examples,
            (SELECT group_concat(bucket) FROM (SELECT DISTINCT bucket FROM examples e WHERE e.feature_id = f.id ORDER BY bucket)) AS buckets
     FROM features f JOIN saes s ON s.id = f.sae_id JOIN models m ON m.id = s.model_id
     WHERE ${where} ORDER BY examples DESC, s.layer DESC, f.feature_index`,
  ).map((row) => ({ ...row, buckets: row.buckets.split(',') }));
}

/** A full-page picture, checked to exist and to be more than one flat colour. */
async function snap(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true });
  const file = path.join(screenshots, `feature-glance-${name}.png`);
  fs.rmSync(file, { force: true });
  await page.screenshot({ path: file, fullPage: true });
  const png = PNG.sync.read(fs.readFileSync(file));
  expect(png.width).toBe(page.viewportSize()!.width);
  const colours = new Set<number>();
  for (let at = 0; at < png.data.length && colours.size < 64; at += 4 * 97) colours.add(png.data.readUInt32BE(at));
  expect(colours.size, `${file} looks blank`).toBeGreaterThanOrEqual(64);
}

const horizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** Cards per visual row of one example grid: cards grouped by their top edge. */
const cardsPerRow = (page: Page, bucket: string) =>
  page.locator(`details[data-bucket="${bucket}"] [data-testid=example-grid]`).evaluate((grid) => {
    const rows = new Map<number, number>();
    for (const card of grid.querySelectorAll('article.example')) {
      const top = Math.round(card.getBoundingClientRect().top);
      rows.set(top, (rows.get(top) ?? 0) + 1);
    }
    return [...rows.values()];
  });

async function openFeature(href: string, viewport = DESKTOP): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(`${served.researcherUrl}${href}`);
  await page.locator('article.example').first().waitFor();
  // Images decoded, so heights are final before anything is measured.
  await page.waitForFunction(() => [...document.images].every((img) => img.complete));
  return page;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-feature-glance-'));
  demo = path.join(root, 'demo.sightline');
  sightline(['demo', '--project', demo]);
  browser = await launchChromium();
  served = await serve(demo);
});
afterAll(async () => {
  await served?.stop();
  await browser?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('the feature page at a glance', () => {
  it("fits the demo's image feature in about three screens, examples in a grid, with a legend and its SAE, layer and model", async () => {
    // The layer-20 image feature with the most examples, top activations and every quantile bucket.
    const feature = features("s.layer = 20 AND f.modality = 'image'")[0];
    expect(feature.buckets).toEqual(['q1', 'q2', 'q3', 'q4', 'top']);
    const page = await openFeature(`#/feature/${feature.sae}/${feature.index}`);
    expect(await page.locator('article.example').count()).toBe(feature.examples);

    expect(await page.getByTestId('feature-sae').innerText()).toBe(feature.sae);
    expect(await page.getByTestId('feature-layer').innerText()).toBe(`layer ${feature.layer}`);
    expect(await page.getByTestId('feature-model').innerText()).toBe(`model ${feature.model}`);
    expect(await page.locator('h1').innerText()).toMatch(new RegExp(`^Feature ${feature.index}\\b`));

    // The legend: a text scale and (images present) a patch scale, from 0 to the feature's max.
    const legend = page.getByTestId('activation-legend');
    const max = query<{ max: number }>('SELECT max_activation AS max FROM features WHERE id = ?', feature.id)[0].max;
    expect(Number(await legend.getAttribute('data-max'))).toBe(max);
    expect(await legend.getByTestId('legend-bar').count()).toBe(2);
    expect(await legend.innerText()).toMatch(/^Activation/);

    // Top activations: full rows of 4 to 6 cards (the last may be short).
    const topRows = await cardsPerRow(page, 'top');
    expect(topRows.reduce((a, b) => a + b, 0)).toBeGreaterThan(6);
    for (const count of topRows.slice(0, -1)) {
      expect(count).toBeGreaterThanOrEqual(4);
      expect(count).toBeLessThanOrEqual(6);
    }
    expect(topRows.at(-1)!).toBeLessThanOrEqual(topRows[0]);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeLessThanOrEqual(MAX_PAGE_HEIGHT);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    // Heatmaps follow the page's one mode: Image only hides every one of them.
    expect(await page.getByTestId('patch-heatmap').count()).toBe(feature.examples);
    await page.getByTestId('heatmap-mode').getByRole('button', { name: 'Image only' }).click();
    await expect.poll(() => page.getByTestId('patch-heatmap').count()).toBe(0);
    await page.getByTestId('heatmap-mode').getByRole('button', { name: 'Overlay' }).click();
    await expect.poll(() => page.getByTestId('patch-heatmap').count()).toBe(feature.examples);
    await snap(page, 'image-feature-desktop');

    // A quantile bucket folds away: its cards are hidden and the page gets shorter.
    const q1 = page.locator('details[data-bucket="q1"]');
    const firstCard = q1.locator('article.example').first();
    expect(await firstCard.isVisible()).toBe(true);
    await q1.locator('summary').click();
    await expect.poll(() => q1.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(false);
    expect(await firstCard.isVisible()).toBe(false);
    expect(await page.locator('details[data-bucket="q2"] article.example').first().isVisible()).toBe(true);
    await q1.locator('summary').click();
    expect(await firstCard.isVisible()).toBe(true);
    await page.close();
  });

  it('draws no image frame for a text-only feature, and no token carries a "·" separator', async () => {
    // A text-only feature whose examples are captions of images: the images would be empty frames.
    const feature = features(
      `s.layer = 20 AND f.modality = 'text' AND f.image_count = 0 AND EXISTS (SELECT 1 FROM examples e JOIN documents d ON d.id = e.document_id
        WHERE e.feature_id = f.id AND d.media_sha256 IS NOT NULL)`,
    )[0];
    expect(feature).toBeDefined();
    const page = await openFeature(`#/feature/${feature.sae}/${feature.index}`);
    expect(await page.locator('article.example').count()).toBe(feature.examples);
    for (const selector of ['img', 'canvas', '.image-frame', '[data-testid=image-tiles]'])
      expect(await page.locator(`.example-list ${selector}`).count(), selector).toBe(0);
    // No image scale in the legend and no heatmap control.
    expect(await page.getByTestId('activation-legend').getByTestId('legend-bar').count()).toBe(1);
    expect(await page.getByTestId('heatmap-mode').count()).toBe(0);

    // The demo's texts have spaces in their tokens (" cat"): drawn as spaces, with no '·' anywhere.
    const stored = query<{ tokens: string }>(
      `SELECT d.tokens_json AS tokens FROM examples e JOIN documents d ON d.id = e.document_id WHERE e.feature_id = ?`,
      feature.id,
    ).flatMap((row) => JSON.parse(row.tokens) as string[]);
    expect(stored.some((token) => token.startsWith(' '))).toBe(true);
    const texts = await page.getByTestId('token-text').allInnerTexts();
    expect(texts.length).toBe(feature.examples);
    for (const text of texts) expect(text).not.toContain('·');
    const tokens = await page.getByTestId('token').allTextContents();
    expect(tokens.some((token) => token.startsWith(' '))).toBe(true);
    for (const token of tokens) expect(token).not.toContain('·');
    // A firing token has a visible border, a quiet one a transparent border of the same width.
    const borders = await page
      .getByTestId('token')
      .evaluateAll((nodes) =>
        nodes
          .map((node) => ({ value: Number(node.getAttribute('data-value')), style: getComputedStyle(node) }))
          .map(({ value, style }) => ({ value, width: style.borderTopWidth, colour: style.borderTopColor })),
      );
    for (const { value, width, colour } of borders) {
      expect(width).toBe('1px');
      expect(colour === 'rgba(0, 0, 0, 0)', `value ${value}: border ${colour}`).toBe(value <= 0);
    }
    await snap(page, 'text-feature-desktop');
    await page.close();
  });

  it('sends an old row-id link to the sae/index address of the same feature', async () => {
    const feature = features("s.layer = 15 AND f.modality = 'shared'")[0];
    const page = await openFeature(`#/feature/${feature.id}`);
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/feature/${feature.sae}/${feature.index}`);
    expect(await page.getByTestId('feature-sae').innerText()).toBe(feature.sae);
    await page.close();
  });

  it('fits a phone: no sideways scrolling, cards one or two abreast', async () => {
    const feature = features("s.layer = 20 AND f.modality = 'image'")[0];
    const page = await openFeature(`#/feature/${feature.sae}/${feature.index}`, PHONE);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    for (const count of await cardsPerRow(page, 'top')) expect(count).toBeLessThanOrEqual(2);
    await snap(page, 'image-feature-phone');
    await page.close();
  });
});

describe('the feature list at a glance', () => {
  interface StoredRow {
    index: number;
    sae: string;
    layer: number;
    maxActivation: number;
    sha: string | null;
    tokens: string | null;
    acts: string | null;
  }
  /** An SAE's features by max activation, with the document of each one's rank-0 top example. */
  const byMax = (sae: string, modality: string) =>
    query<StoredRow>(
      `SELECT f.feature_index AS "index", s.name AS sae, s.layer, f.max_activation AS maxActivation,
              d.media_sha256 AS sha, d.tokens_json AS tokens, e.token_acts_json AS acts
       FROM features f JOIN saes s ON s.id = f.sae_id
       LEFT JOIN examples e ON e.feature_id = f.id AND e.bucket = 'top' AND e.rank = 0
       LEFT JOIN documents d ON d.id = e.document_id
       WHERE s.name = ? AND f.modality = ? ORDER BY f.max_activation DESC, f.id`,
      sae,
      modality,
    );

  const rowIndices = (page: Page, count: number) =>
    page.getByTestId('feature-row').evaluateAll(
      (rows, n) =>
        rows
          .map((row) => ({ top: (row as HTMLElement).offsetTop, index: row.getAttribute('data-index') }))
          .sort((a, b) => a.top - b.top)
          .slice(0, n)
          .map((row) => Number(row.index)),
      count,
    );

  it('shows each row with its SAE and layer and a preview of its top example, filters and sort surviving a visit and "back"', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${served.researcherUrl}#/features`);
    const total = query<{ n: number }>('SELECT COUNT(*) AS n FROM features')[0].n;
    await page.getByText(`${total.toLocaleString()} features`).waitFor();

    await page.getByTestId('sae-filter').selectOption('demo-sae-L15');
    await page.getByTestId('modality-filter').selectOption('image');
    await page.getByTestId('feature-sort').selectOption('max:desc');
    const expected = byMax('demo-sae-L15', 'image');
    await page.getByText(`${expected.length} features`).waitFor();
    await expect.poll(() => rowIndices(page, 8)).toEqual(expected.slice(0, 8).map((row) => row.index));
    await expect
      .poll(() => page.evaluate(() => location.hash))
      .toBe('#/features?sae=demo-sae-L15&sort=max&modality=image');

    // The SAE / layer column and the previews, row by row, against the store.
    for (const stored of expected.slice(0, 6)) {
      const row = page.locator(`[data-testid=feature-row][data-index="${stored.index}"]`);
      expect(await row.getByTestId('sae-cell').innerText()).toMatch(
        new RegExp(`^${stored.sae}\\s+layer ${stored.layer} · demo-vlm$`),
      );
      const preview = row.getByTestId('feature-preview');
      expect(await preview.getAttribute('data-kind')).toBe(stored.sha ? 'image' : 'text');
      if (stored.sha) {
        const thumbnail = preview.getByTestId('preview-thumbnail');
        expect(await thumbnail.locator('img').getAttribute('src')).toContain(stored.sha);
        await expect
          .poll(() => thumbnail.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth))
          .toBeGreaterThan(0);
        expect(await thumbnail.getByTestId('patch-heatmap').count()).toBe(1);
      }
      // The tokens shown are a run of the top example's text that holds its strongest token.
      const words = JSON.parse(stored.tokens!) as string[];
      const shown = await preview.getByTestId('preview-tokens').locator('.token').allTextContents();
      const at = words.findIndex((_, i) => words.slice(i, i + shown.length).join('\u0000') === shown.join('\u0000'));
      expect(at, `${shown.join('|')} in ${words.join('|')}`).toBeGreaterThanOrEqual(0);
    }
    await snap(page, 'list-desktop');

    // Open a feature: its address is sae/index, and "back" returns to the same filtered, sorted list.
    const target = expected[2];
    await page.locator(`[data-testid=feature-row][data-index="${target.index}"]`).getByTestId('feature-link').click();
    await page.getByTestId('feature-sae').waitFor();
    expect(await page.evaluate(() => location.hash)).toBe(`#/feature/demo-sae-L15/${target.index}`);
    expect(await page.getByTestId('feature-sae').innerText()).toBe('demo-sae-L15');
    await page.goBack();
    await page.getByText(`${expected.length} features`).waitFor();
    expect(await page.getByTestId('sae-filter').inputValue()).toBe('demo-sae-L15');
    expect(await page.getByTestId('modality-filter').inputValue()).toBe('image');
    expect(await page.getByTestId('feature-sort').inputValue()).toBe('max:desc');
    await expect.poll(() => rowIndices(page, 8)).toEqual(expected.slice(0, 8).map((row) => row.index));

    // The page's own back link goes to the list as it was left, too.
    await page.locator(`[data-testid=feature-row][data-index="${target.index}"]`).getByTestId('feature-link').click();
    await page.getByRole('link', { name: '← Features' }).click();
    await page.getByText(`${expected.length} features`).waitFor();
    expect(await page.evaluate(() => location.hash)).toBe('#/features?sae=demo-sae-L15&sort=max&modality=image');

    // The Features tab starts afresh.
    await page.getByRole('navigation').getByRole('link', { name: 'Features' }).click();
    await page.getByText(`${total.toLocaleString()} features`).waitFor();
    expect(await page.getByTestId('feature-sort').inputValue()).toBe('index:asc');
    await page.close();
  });

  it('returns to the same rows after a visit to a feature and "back"', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${served.researcherUrl}#/features`);
    const viewport = page.getByTestId('feature-viewport');
    await page.locator('[data-testid=feature-row][data-index="0"]').first().waitFor();
    await viewport.evaluate((element) => (element.scrollTop = 3000));
    // The row at the top of the scrolled list: open it, come back, and it is where it was.
    const { index, offset } = await viewport.evaluate((element) => {
      const rows = [...element.querySelectorAll<HTMLElement>('[data-testid=feature-row]')].filter(
        (row) => row.offsetTop >= element.scrollTop && row.querySelector('a'),
      );
      rows.sort((a, b) => a.offsetTop - b.offsetTop);
      return { index: rows[0].dataset.index, offset: rows[0].offsetTop };
    });
    const scrolledTo = await viewport.evaluate((element) => element.scrollTop);
    expect(scrolledTo).toBeGreaterThan(2000);
    // Let the scroll position settle into the history entry before leaving.
    await expect
      .poll(() =>
        page.evaluate(() => (history.state as { featureListScrollTop?: number } | null)?.featureListScrollTop),
      )
      .toBe(scrolledTo);
    const row = page.locator(`[data-testid=feature-row][style*="top: ${offset}px"]`);
    expect(await row.getAttribute('data-index')).toBe(index);
    await row.getByTestId('feature-link').click();
    await page.getByTestId('feature-sae').waitFor();
    await page.goBack();
    await expect.poll(() => viewport.evaluate((element) => element.scrollTop)).toBe(scrolledTo);
    await page.locator(`[data-testid=feature-row][style*="top: ${offset}px"] a`).waitFor();
    expect(await row.getAttribute('data-index')).toBe(index);
    await page.close();
  });

  it('opens a list address with its filters, and fits a phone without sideways scrolling', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(`${served.researcherUrl}#/features?sae=demo-sae-L20&sort=max&modality=text`);
    const expected = byMax('demo-sae-L20', 'text');
    await page.getByText(`${expected.length} features`).waitFor();
    await expect.poll(() => rowIndices(page, 5)).toEqual(expected.slice(0, 5).map((row) => row.index));
    expect(await page.getByTestId('feature-preview').first().isVisible()).toBe(true);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await snap(page, 'list-phone');
    await page.close();
  });
});
