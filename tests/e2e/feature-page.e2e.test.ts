// The researcher's feature pages in Chromium (issue 3, "Show"), on projects made by the real
// pipeline through the built CLI:
// - the demo (`sightline demo`): the layer-20 "red things" feature (red patches and the token " red"),
//   quantile buckets, the per-layer modality chart, search and sort of the feature list;
// - a tiny LLaVA-NeXT project (scripts/convert-llava-next.ts layout, as in
//   tests/importers/convert-llava-next.test.ts): anyres tiles beside the base image with their own
//   heatmaps, and a text long
//   enough that its example is collapsed to a window around the max. The demo has neither: its
//   images are one 12×12 base grid and its texts are at most 14 tokens, shown whole.
// Expected values come from `sightline features --json` and the store, never from the page itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PNG } from 'pngjs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLlavaNextLayout, type Layout } from '../../scripts/convert-llava-next';
import { openProject } from '../../src-main/project/project';
import { modalityByLayer } from '../../src-main/store/features';
import type { ModalityLayerRow } from '../../src-main/contract';
import { formatNumber, formatPercent, quotedToken, visibleToken } from '../../src-renderer/src/lib/format';
import { randomInputs, randomSae, safetensorsBytes, writeSaeLensDir } from '../engine/fixtures';
import { launchChromium, serve, sightline, type Served } from './harness';

interface CliExample {
  id: number;
  bucket: string;
  rank: number;
  maxActivation: number;
  document: string;
  tokens: { token: string; value: number }[] | null;
  image: {
    sha256: string;
    rows: number;
    cols: number;
    patches: number[];
    anyres?: { tile: number; rows: number; cols: number; patches: number[] | null }[];
  } | null;
}
interface CliFeature {
  feature: {
    id: number;
    index: number;
    density: number;
    maxActivation: number;
    fireCount: number;
    label: string | null;
  };
  histogram: { edges: number[]; counts: number[] };
  examples: CliExample[];
  sampling: { tokenCount: number; quantiles: number | null };
}
interface CliListRow {
  index: number;
  density: number;
  maxActivation: number;
}

const featureJson = (dir: string, sae: string, index: number): CliFeature =>
  JSON.parse(
    sightline(['features', '--project', dir, '--sae', sae, '--feature', String(index), '--json']),
  ) as CliFeature;
const featureListJson = (dir: string, sae: string): CliListRow[] =>
  (JSON.parse(sightline(['features', '--project', dir, '--sae', sae, '--json'])) as { features: CliListRow[] })
    .features;

function readStore<T>(dir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, 'project.sqlite'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** SIGHTLINE_SCREENSHOTS=DIR keeps a full-page picture of each page checked, for a person to look at. */
async function snap(page: Page, name: string): Promise<void> {
  const dir = process.env.SIGHTLINE_SCREENSHOTS;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `feature-page-${name}.png`), fullPage: true });
}

const argmax = (values: number[]) => values.reduce((best, value, i) => (value > values[best] ? i : best), 0);

/** The canvas' alpha channel, one value per patch (the heatmap paints one pixel per patch). */
const canvasAlpha = (canvas: Locator) =>
  canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return Array.from({ length: c.width * c.height }, (_, p) => data[p * 4 + 3]);
  });

/** The feature list's row indices in display order (rows are absolutely placed by index). */
async function shownIndices(page: Page, count: number): Promise<number[]> {
  const rows = page.getByTestId('feature-row');
  await rows.first().locator('a').waitFor();
  const indices: number[] = [];
  for (let n = 0; n < count; n++) indices.push(Number(await rows.nth(n).getAttribute('data-index')));
  return indices;
}

// The tiny LLaVA-NeXT project: a 96×48 image with a red left half, 1×2 anyres tiles (a 4×8 map,
// no unpadding at 2:1), and a 40-token text with a space-only token, a newline and a tab.
const LONG_TEXT = [
  'The',
  ' quick',
  ' brown',
  ' fox',
  ' jumps',
  ' over',
  ' the',
  ' lazy',
  ' dog',
  '.',
  '\n',
  'Then',
  ' it',
  ' runs',
  ' into',
  ' the',
  ' forest',
  ' and',
  ' hides',
  ' under',
  ' a',
  ' tree',
  '\t',
  'while',
  ' the',
  ' dog',
  ' sleeps',
  ' on',
  ' a',
  ' red',
  ' blanket',
  ' near',
  ' the',
  ' fire',
  '.',
  ' ',
  'The',
  ' end',
  '!',
  '\n',
];
const IMAGE_TOKENS = ['\n', 'What', ' is', ' this', '?'];

async function writeLlavaProject(root: string): Promise<string> {
  const data = path.join(root, 'llava-data');
  fs.mkdirSync(data, { recursive: true });
  const layout: Layout = {
    d_in: 8,
    model: 'tiny-llava-next',
    layer: 3,
    patch_grid: 4,
    shards: [
      {
        path: 'acts-0.safetensors',
        tensor: 'activations',
        documents: [
          {
            id: 'img-0',
            image: 'img.png',
            image_size: [96, 48],
            tiles: [1, 2],
            tokens: ['<s>', '[INST]', '<image>', ...IMAGE_TOKENS, '[/INST]'],
          },
          { id: 'txt-1', tokens: ['<s>', ...LONG_TEXT] },
        ],
      },
    ],
  };
  const { sidecar, rows } = convertLlavaNextLayout(layout);
  const png = new PNG({ width: 96, height: 48 });
  for (let y = 0; y < 48; y++) {
    for (let x = 0; x < 96; x++) png.data.set(x < 48 ? [220, 30, 30, 255] : [40, 90, 200, 255], (y * 96 + x) * 4);
  }
  fs.writeFileSync(path.join(data, 'img.png'), PNG.sync.write(png));
  fs.writeFileSync(
    path.join(data, 'acts-0.safetensors'),
    safetensorsBytes([{ name: 'activations', shape: [rows[0], 8], data: randomInputs(rows[0], 8, 7) }]),
  );
  fs.writeFileSync(path.join(data, 'activations.json'), JSON.stringify(sidecar));
  const sae = writeSaeLensDir(path.join(data, 'sae'), randomSae('relu', 8, 16, 5));

  // No CLI command makes an empty project (import-sae refuses a folder without one), so open it here.
  const dir = path.join(root, 'llava.sightline');
  openProject(dir, { create: true }).close();
  sightline(['import-sae', '--project', dir, '--path', sae, '--name', 'tiny-sae', '--layer', '3']);
  sightline([
    'import-activations',
    '--project',
    dir,
    '--path',
    path.join(data, 'activations.json'),
    '--corpus',
    'llava',
  ]);
  sightline(['mine', '--project', dir, '--sae', 'tiny-sae', '--corpus', 'llava', '--top', '2', '--provider', 'cpu']);
  return dir;
}

let browser: Browser;
let root: string;
beforeAll(async () => {
  // Our own folder, removed after all tests: the served projects' media must outlive each test.
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-feature-page-'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('feature pages on the demo project', () => {
  let served: Served;
  let demo: string;
  let red: CliFeature;
  let redId: number;
  beforeAll(async () => {
    demo = path.join(root, 'demo.sightline');
    sightline(['demo', '--project', demo]);
    redId = readStore(demo, (db) =>
      db
        .prepare(
          "SELECT f.id FROM features f JOIN saes s ON s.id = f.sae_id WHERE s.layer = 20 AND f.label = 'red things'",
        )
        .pluck()
        .get(),
    ) as number;
    const index = readStore(demo, (db) =>
      db.prepare('SELECT feature_index FROM features WHERE id = ?').pluck().get(redId),
    ) as number;
    red = featureJson(demo, 'demo-sae-L20', index);
    served = await serve(demo);
  });
  afterAll(async () => {
    await served?.stop();
  });

  async function openFeature(featureId: number): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${served.researcherUrl}#/feature/${featureId}`);
    await page.getByTestId('histogram').locator('svg').waitFor();
    return page;
  }

  it('draws the histogram (one bar per non-empty bin) and shows the density', async () => {
    const page = await openFeature(redId);
    const nonEmpty = red.histogram.counts.filter((count) => count > 0).length;
    // Log scale by default: empty bins have no bar.
    await expect
      .poll(() => page.getByTestId('histogram').locator('svg g[aria-label="rect"] rect').count())
      .toBe(nonEmpty);
    await page.getByRole('checkbox', { name: 'log count' }).uncheck();
    await expect
      .poll(() => page.getByTestId('histogram').locator('svg g[aria-label="rect"] rect').count())
      .toBe(red.histogram.counts.length);

    expect(await page.getByTestId('feature-density').innerText()).toBe(formatPercent(red.feature.density));
    const densityLine = await page.getByTestId('density-line').innerText();
    expect(densityLine).toContain(
      `Fires on ${red.feature.fireCount.toLocaleString()} of ${red.sampling.tokenCount.toLocaleString()} tokens`,
    );
    expect(densityLine).toContain(`density ${formatPercent(red.feature.density)}`);
    expect(await page.locator('h1').innerText()).toContain('red things');
    // Every document "red things" fires on is a top activation, so the page says why no quantile bucket follows.
    expect(new Set(red.examples.map((example) => example.bucket))).toEqual(new Set(['top']));
    expect(
      await page
        .getByTestId('bucket-title')
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-bucket'))),
    ).toEqual(['top']);
    await page.getByTestId('no-quantile-examples').waitFor();
    await page.close();
  });

  it('groups top and quantile examples under their own headings', async () => {
    // The red feature's documents all make its top 20; take a layer-20 feature with quantile buckets too.
    const { id, index } = readStore(demo, (db) =>
      db
        .prepare(
          `SELECT f.id, f.feature_index AS "index" FROM features f JOIN saes s ON s.id = f.sae_id
           WHERE s.layer = 20 AND (SELECT COUNT(DISTINCT bucket) FROM examples e WHERE e.feature_id = f.id AND e.bucket LIKE 'q%') = 4
           ORDER BY f.feature_index LIMIT 1`,
        )
        .get(),
    ) as { id: number; index: number };
    const detail = featureJson(demo, 'demo-sae-L20', index);
    const buckets = [...new Set(detail.examples.map((example) => example.bucket))];
    expect(buckets).toEqual(['top', 'q1', 'q2', 'q3', 'q4']);

    const page = await openFeature(id);
    const titles = page.getByTestId('bucket-title');
    await titles.first().waitFor();
    expect(await page.getByTestId('no-quantile-examples').count()).toBe(0);
    expect(await titles.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-bucket')))).toEqual(buckets);
    expect(await titles.first().innerText()).toMatch(/^Top activations \(\d+\)/);
    expect(await titles.nth(1).innerText()).toMatch(/^Quantile 1 of 4 \(weakest\)/);
    expect(await titles.nth(4).innerText()).toMatch(/^Quantile 4 of 4 \(strongest\)/);
    for (const bucket of buckets) {
      const section = page.locator(`details.bucket[data-bucket="${bucket}"]`);
      expect(await section.locator('article.example').count(), bucket).toBe(
        detail.examples.filter((example) => example.bucket === bucket).length,
      );
    }
    await page.close();
  });

  it("shows a token's activation on hover, spaces kept as spaces", async () => {
    const page = await openFeature(redId);
    const text = red.examples.find((example) => example.image === null && example.tokens !== null)!;
    const card = page.locator(`article.example[data-example-id="${text.id}"]`);
    const tokens = card.getByTestId('token');
    expect(await tokens.count()).toBe(text.tokens!.length);

    const maxAt = argmax(text.tokens!.map((token) => token.value));
    expect(text.tokens![maxAt].token).toBe(' red');
    const maxToken = tokens.nth(maxAt);
    // " red": the leading space stays a space (no '·' separator, issue 15).
    expect(await maxToken.textContent()).toBe(' red');
    expect(await maxToken.locator('.ws').count()).toBe(0);
    expect(await card.getByTestId('token-tip').count()).toBe(0);
    await maxToken.hover();
    const tip = card.getByTestId('token-tip');
    await tip.waitFor();
    expect(await tip.innerText()).toBe(`" red" ${formatNumber(text.tokens![maxAt].value)}`);
    // Another token (the demo's text feature fires on " red" only, so likely 0), its value; leaving the text hides the tip.
    const other = maxAt === 0 ? 1 : 0;
    await tokens.nth(other).hover();
    await expect
      .poll(() => tip.innerText())
      .toBe(`${quotedToken(text.tokens![other].token)} ${formatNumber(text.tokens![other].value)}`);
    await page.locator('h1').hover();
    await expect.poll(() => card.getByTestId('token-tip').count()).toBe(0);
    // Demo texts are at most 14 tokens: shown whole, no expand control (the window is tested below).
    expect(await card.getByTestId('token-expand').count()).toBe(0);
    await page.close();
  });

  it("draws the patch heatmap over the image, switches overlay and spotlight for the page, and shows the same example's text under it", async () => {
    const page = await openFeature(redId);
    const example = red.examples.find((candidate) => candidate.bucket === 'top' && candidate.image !== null)!;
    const card = page.locator(`article.example[data-example-id="${example.id}"]`);
    const image = card.locator('img');
    await expect
      .poll(() =>
        image.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0),
      )
      .toBe(true);
    const canvas = card.getByTestId('patch-heatmap');
    expect([await canvas.getAttribute('data-rows'), await canvas.getAttribute('data-cols')]).toEqual([
      String(example.image!.rows),
      String(example.image!.cols),
    ]);
    const [imageBox, canvasBox] = [await image.boundingBox(), await canvas.boundingBox()];
    for (const key of ['x', 'y', 'width', 'height'] as const)
      expect(Math.abs(canvasBox![key] - imageBox![key])).toBeLessThanOrEqual(1);

    // Overlay: opacity grows with the activation (scaled by the feature's max).
    const { patches } = example.image!;
    const peak = argmax(patches);
    const quiet = patches.indexOf(0);
    const overlay = await canvasAlpha(canvas);
    expect(overlay[peak]).toBe(Math.round(Math.min(1, patches[peak] / red.feature.maxActivation) * 200));
    expect(overlay[quiet]).toBe(0);
    // One heatmap control for the page (issue 15), not three buttons per card.
    const modes = page.getByTestId('heatmap-mode');
    expect(await card.getByRole('button').count()).toBe(0);
    expect(await modes.getByRole('button', { name: 'Overlay' }).getAttribute('aria-pressed')).toBe('true');

    // Spotlight: what does not fire is darkened, the firing patch is the clearest.
    await modes.getByRole('button', { name: 'Spotlight' }).click();
    await expect.poll(() => canvas.getAttribute('data-mode')).toBe('spotlight');
    const spotlight = await canvasAlpha(canvas);
    expect(spotlight[quiet]).toBe(215);
    expect(spotlight[peak]).toBe(Math.round((1 - Math.min(1, patches[peak] / red.feature.maxActivation)) * 215));
    expect(Math.min(...spotlight)).toBe(spotlight[peak]);
    expect(await modes.getByRole('button', { name: 'Spotlight' }).getAttribute('aria-pressed')).toBe('true');
    await modes.getByRole('button', { name: 'Image only' }).click();
    expect(await card.getByTestId('patch-heatmap').count()).toBe(0);
    await modes.getByRole('button', { name: 'Overlay' }).click();
    await card.getByTestId('patch-heatmap').waitFor();

    // The demo has no anyres tiles: one grid per image, no tile captions.
    expect(await card.getByTestId('image-tiles').getAttribute('data-tile-count')).toBe('1');
    expect(await card.getByTestId('anyres-tile').count()).toBe(0);

    // The caption's tokens sit under the image, in the same example card: " red" fires there too.
    const text = card.getByTestId('token-text');
    const textBox = await text.boundingBox();
    expect(textBox!.y).toBeGreaterThanOrEqual(imageBox!.y + imageBox!.height);
    expect(textBox!.x).toBeLessThan(imageBox!.x + imageBox!.width);
    expect(await text.getByTestId('token').allTextContents()).toEqual(
      example.tokens!.map((token) => visibleToken(token.token)),
    );
    const maxText = argmax(example.tokens!.map((token) => token.value));
    expect(example.tokens![maxText].token).toBe(' red');
    expect(Number(await text.getByTestId('token').nth(maxText).getAttribute('data-value'))).toBe(
      example.tokens![maxText].value,
    );
    await snap(page, 'red-things');
    await page.close();
  });

  it('charts modality sharing with one entry per layer, matching the store', async () => {
    const rows = readStore(demo, (db) => modalityByLayer(db as never)) as ModalityLayerRow[];
    expect(rows.map((row) => row.layer)).toEqual([5, 10, 15, 20]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(served.researcherUrl);
    const chart = page.getByTestId('modality-layer-chart');
    await chart.locator('svg').first().waitFor();
    expect(await chart.count()).toBe(1);
    expect(await chart.getAttribute('data-model')).toBe('demo-vlm');

    const entries = chart.getByTestId('modality-layer-entry');
    expect(await entries.count()).toBe(rows.length);
    for (const [n, row] of rows.entries()) {
      const entry = entries.nth(n);
      expect(await entry.getAttribute('data-layer')).toBe(String(row.layer));
      expect(await entry.getAttribute('data-sae')).toBe(row.name);
      expect(Number(await entry.getAttribute('data-shared-fraction'))).toBeCloseTo(row.sharedFraction!, 12);
      const cells = await entry.locator('td').allInnerTexts();
      expect(cells).toEqual([
        String(row.layer),
        row.name,
        String(row.image),
        String(row.text),
        String(row.shared),
        String(row.dead),
        formatPercent(row.sharedFraction!),
      ]);
    }
    // The drawn chart: x ticks are the layers, and each bar is labelled with its shared fraction.
    const svg = chart.locator('svg:not(.plot-swatch)').last();
    expect(await svg.locator('g[aria-label="x-axis tick label"] text').allTextContents()).toEqual(
      rows.map((row) => String(row.layer)),
    );
    expect(await svg.locator('g[aria-label="text"] text').allTextContents()).toEqual(
      rows.map((row) => `${(row.sharedFraction! * 100).toFixed(1)}%`),
    );
    // Sharing grows with depth, as planted.
    expect(rows[3].sharedFraction!).toBeGreaterThan(rows[0].sharedFraction!);
    await snap(page, 'overview-chart');
    await page.close();
  });

  it('searches the list by label text, sorts by max and density like the store, scrolls by keyboard, rates what it found', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${served.researcherUrl}#/features`);
    const total = readStore(demo, (db) => db.prepare('SELECT COUNT(*) FROM features').pluck().get()) as number;
    await page.getByText(`${total.toLocaleString()} features`).waitFor();

    // Search: case-insensitive label text, as in the store.
    const labels = readStore(demo, (db) =>
      db.prepare("SELECT label FROM features WHERE label LIKE '%red%' ORDER BY feature_index, id").pluck().all(),
    ) as string[];
    expect(labels.length).toBeGreaterThanOrEqual(6);
    await page.getByTestId('feature-search').fill('RED');
    await page.getByText(`${labels.length} features`).waitFor();
    await expect
      .poll(() =>
        page
          .getByTestId('feature-row')
          .locator('.label-cell')
          .allInnerTexts()
          .then((texts) => texts.sort()),
      )
      .toEqual([...labels].sort());
    await page.getByTestId('feature-search').fill('');
    await page.getByText(`${total.toLocaleString()} features`).waitFor();

    // Sort within one SAE, compared with `sightline features --json` (ties in the store's id order).
    await page.getByRole('combobox', { name: 'SAE' }).selectOption({ label: 'demo-sae-L20' });
    const list = featureListJson(demo, 'demo-sae-L20');
    await page.getByText(`${list.length} features`).waitFor();
    const byMax = [...list]
      .sort((a, b) => b.maxActivation - a.maxActivation || a.index - b.index)
      .map((row) => row.index);
    const byDensity = [...list].sort((a, b) => b.density - a.density || a.index - b.index).map((row) => row.index);
    const byDensityAsc = [...list].sort((a, b) => a.density - b.density || a.index - b.index).map((row) => row.index);
    expect(byMax.slice(0, 15)).not.toEqual(byDensity.slice(0, 15));

    await page.getByTestId('feature-sort').selectOption('max:desc');
    await expect.poll(() => shownIndices(page, 15)).toEqual(byMax.slice(0, 15));
    await page.getByTestId('feature-sort').selectOption('density:desc');
    await expect.poll(() => shownIndices(page, 15)).toEqual(byDensity.slice(0, 15));
    await page.getByTestId('feature-sort').selectOption('density:asc');
    await expect.poll(() => shownIndices(page, 15)).toEqual(byDensityAsc.slice(0, 15));
    // The column headers sort too: Max, then Max again flips the direction.
    await page.getByRole('columnheader', { name: /^Max/ }).getByRole('button').click();
    await expect.poll(() => shownIndices(page, 15)).toEqual(byMax.slice(0, 15));
    await page.getByRole('columnheader', { name: /^Max/ }).getByRole('button').click();
    const byMaxAsc = [...list]
      .sort((a, b) => a.maxActivation - b.maxActivation || a.index - b.index)
      .map((row) => row.index);
    await expect.poll(() => shownIndices(page, 15)).toEqual(byMaxAsc.slice(0, 15));

    // The keyboard scrolls the focused list (README, "Using the app"): End to the last row, Home back.
    const viewport = page.getByTestId('feature-viewport');
    await viewport.focus();
    await page.keyboard.press('End');
    await page.locator(`[data-testid=feature-row][data-index="${byMaxAsc.at(-1)}"]`).waitFor({ state: 'visible' });
    await expect.poll(() => viewport.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    await page.keyboard.press('Home');
    await expect.poll(() => viewport.evaluate((el) => el.scrollTop)).toBe(0);

    // Search, select what it found, and rate it: the campaign builder opens with those features.
    const redInL20 = readStore(demo, (db) =>
      db
        .prepare(
          "SELECT COUNT(*) FROM features f JOIN saes s ON s.id = f.sae_id WHERE s.name = 'demo-sae-L20' AND f.label LIKE '%red%'",
        )
        .pluck()
        .get(),
    ) as number;
    expect(redInL20).toBeGreaterThan(0);
    await page.getByTestId('feature-search').fill('red');
    await page.getByText(`${redInL20} features`).waitFor();
    await page.getByTestId('select-all-features').click();
    await expect.poll(() => page.getByTestId('selection-count').innerText()).toBe(`${redInL20} selected`);
    await page.getByTestId('rate-features').click();
    await page.getByTestId('campaign-builder').waitFor();
    await expect
      .poll(() =>
        page
          .getByTestId('selected-features')
          .innerText()
          .catch(() => ''),
      )
      .toMatch(new RegExp(`^${redInL20} features? selected`));
    await page.close();
  });
});

describe('feature pages on a LLaVA-NeXT layout (anyres tiles, long text)', () => {
  let served: Served;
  let llava: string;
  let feature: CliFeature;
  beforeAll(async () => {
    llava = await writeLlavaProject(root);
    const list = featureListJson(llava, 'tiny-sae');
    // A feature whose two examples are the image (with its caption, firing on the base grid and the
    // anyres tile) and the long text.
    const firesOnImage = (image: NonNullable<CliExample['image']>) =>
      Math.max(...image.patches) > 0 && Math.max(0, ...(image.anyres?.[0]?.patches ?? [])) > 0;
    feature = list
      .filter((row) => row.maxActivation > 0)
      .map((row) => featureJson(llava, 'tiny-sae', row.index))
      .find(
        (detail) =>
          detail.examples.some((e) => e.image !== null && firesOnImage(e.image)) &&
          detail.examples.some(
            (e) => e.tokens?.length === LONG_TEXT.length && Math.max(...e.tokens.map((t) => t.value)) > 0,
          ),
      )!;
    expect(feature).toBeDefined();
    served = await serve(llava);
  });
  afterAll(async () => {
    await served?.stop();
  });

  it('shows the base image and each anyres tile separately, each with its heatmap, with the text of the same example', async () => {
    const example = feature.examples.find((candidate) => candidate.image !== null)!;
    expect(example.image!.rows * example.image!.cols).toBe(16);
    expect(example.image!.anyres?.map(({ tile, rows, cols }) => ({ tile, rows, cols }))).toEqual([
      { tile: 1, rows: 4, cols: 8 },
    ]);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${served.researcherUrl}#/feature/${feature.feature.id}`);
    const card = page.locator(`article.example[data-example-id="${example.id}"]`);
    await card.waitFor();
    expect(await card.getByTestId('image-tiles').getAttribute('data-tile-count')).toBe('2');
    const base = card.getByTestId('base-tile');
    const tile = card.getByTestId('anyres-tile');
    expect(await tile.count()).toBe(1);
    expect(await base.locator('figcaption').innerText()).toBe('Base image · 4×4 patches');
    expect(await tile.locator('figcaption').innerText()).toMatch(/^Tile 1 · 4×8/);
    // Side by side, each with its own picture; the base grid carries the heatmap.
    const [baseBox, tileBox] = [await base.boundingBox(), await tile.boundingBox()];
    expect(tileBox!.x).toBeGreaterThanOrEqual(baseBox!.x + baseBox!.width);
    const baseHeatmap = base.getByTestId('patch-heatmap');
    expect([await baseHeatmap.getAttribute('data-rows'), await baseHeatmap.getAttribute('data-cols')]).toEqual([
      '4',
      '4',
    ]);
    expect(await tile.locator('img').count()).toBe(1);
    await expect.poll(() => tile.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(96);
    const tileFrame = await tile.getByTestId('tile-frame').boundingBox();
    expect(tileFrame!.width / tileFrame!.height).toBeCloseTo(8 / 4, 1);
    // Mining stores every tile's values: the tile has its own heatmap, painted from the values
    // `sightline features --json` prints (opacity scaled by the feature's max, as the base grid).
    const stored = example.image!.anyres![0].patches;
    expect(stored).toHaveLength(4 * 8);
    expect(Math.max(...stored!)).toBeGreaterThan(0);
    const tileHeatmap = tile.getByTestId('patch-heatmap');
    expect([await tileHeatmap.getAttribute('data-rows'), await tileHeatmap.getAttribute('data-cols')]).toEqual([
      '4',
      '8',
    ]);
    await expect
      .poll(() => canvasAlpha(tileHeatmap))
      .toEqual(
        stored!.map((value) => Math.round(Math.min(1, Math.max(0, value) / feature.feature.maxActivation) * 200)),
      );
    expect(await tile.innerText()).not.toContain('no values stored');
    expect(await tile.locator('figcaption').innerText()).toBe(
      `Tile 1 · 4×8 · max ${formatNumber(Math.max(0, ...stored!))}`,
    );

    // The image's own prompt tokens beside it (specials and the image placeholder excluded).
    const text = card.getByTestId('token-text');
    expect(await text.getByTestId('token').allTextContents()).toEqual(IMAGE_TOKENS.map(visibleToken));
    // Under the tiles, in the same card (which spans two grid columns for its tiles).
    expect((await text.boundingBox())!.y).toBeGreaterThanOrEqual(tileBox!.y + tileBox!.height);
    await snap(page, 'anyres');
    await page.close();
  });

  it('collapses a long text to a window around its max, expands to the full text, and shows newlines and tabs', async () => {
    const example = feature.examples.find((candidate) => candidate.tokens?.length === LONG_TEXT.length)!;
    const values = example.tokens!.map((token) => token.value);
    const maxAt = argmax(values);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${served.researcherUrl}#/feature/${feature.feature.id}`);
    const card = page.locator(`article.example[data-example-id="${example.id}"]`);
    const text = card.getByTestId('token-text');
    await text.waitFor();
    expect(await text.getAttribute('data-expanded')).toBe('false');
    const tokens = text.getByTestId('token');
    const windowTexts = await tokens.allTextContents();
    expect(windowTexts.length).toBe(12);
    // The max is inside the window and outlined; the shown run is contiguous in the document.
    const maxToken = text.locator('.token-max');
    expect(Number(await maxToken.getAttribute('data-value'))).toBe(values[maxAt]);
    const start = LONG_TEXT.map(visibleToken).findIndex(
      (_, i) =>
        LONG_TEXT.slice(i, i + 12)
          .map(visibleToken)
          .join('\u0000') === windowTexts.join('\u0000'),
    );
    expect(start).toBeGreaterThanOrEqual(0);
    expect(maxAt).toBeGreaterThanOrEqual(start);
    expect(maxAt).toBeLessThan(start + 12);
    expect(await text.locator('.token-ellipsis').count()).toBe(
      (start > 0 ? 1 : 0) + (start + 12 < LONG_TEXT.length ? 1 : 0),
    );

    const expand = text.getByTestId('token-expand');
    expect(await expand.innerText()).toBe(`Show all ${LONG_TEXT.length} tokens`);
    await expand.click();
    await expect.poll(() => tokens.count()).toBe(LONG_TEXT.length);
    expect(await text.getAttribute('data-expanded')).toBe('true');
    expect(await tokens.allTextContents()).toEqual(LONG_TEXT.map(visibleToken));
    // Spaces stay spaces; glyphs only for '↵' a newline (with a real line break) and '→' a tab.
    expect(await tokens.nth(LONG_TEXT.indexOf(' ')).textContent()).toBe(' ');
    expect(await tokens.nth(LONG_TEXT.indexOf('\n')).locator('.ws').innerText()).toBe('↵');
    expect(await tokens.nth(LONG_TEXT.indexOf('\n')).locator('br').count()).toBe(1);
    expect(await tokens.nth(LONG_TEXT.indexOf('\t')).innerText()).toBe('→');
    // Hover values on the full text too.
    await tokens.nth(maxAt).hover();
    expect(await card.getByTestId('token-tip').innerText()).toBe(
      `${quotedToken(LONG_TEXT[maxAt])} ${formatNumber(values[maxAt])}`,
    );
    await expand.click();
    await expect.poll(() => tokens.count()).toBe(12);
    await snap(page, 'window');
    await page.close();
  });
});
