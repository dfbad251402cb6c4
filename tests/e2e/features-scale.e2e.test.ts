// The feature list stays virtualised at 100k features: scrolling to the end with the wheel and the
// keyboard keeps a bounded number of rows in the DOM and brings the last feature into view. The
// label-status filter and the image-share sort work on the same project.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject } from '../../src-main/project/project';
import { tempDir } from '../helpers/factories';
import { launchChromium, serve, type Served } from './harness';

const FEATURES = 100_000;
const MAX_ROWS_IN_DOM = 200;

/** 100k feature rows in one transaction, by direct SQL; every 10th is labelled, image share varies. */
function writeProject(dir: string): void {
  const project = openProject(dir, { create: true });
  try {
    const db = project.db;
    const saeId = db
      .prepare(
        "INSERT INTO saes (name, format, architecture, layer, d_in, d_sae, created_at) VALUES ('wide', 'saelens', 'relu', 20, 4096, ?, 0)",
      )
      .run(FEATURES).lastInsertRowid;
    const insert = db.prepare(
      `INSERT INTO features (sae_id, feature_index, fire_count, token_count, density, max_activation, image_count, text_count, modality, label)
       VALUES (?, ?, ?, 100000, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < FEATURES; i++) {
        const fires = (i * 7919) % 1000;
        const image = (i * 31) % (fires + 1);
        const text = fires - image;
        const modality =
          fires === 0 ? 'dead' : image >= 0.9 * fires ? 'image' : text >= 0.9 * fires ? 'text' : 'shared';
        insert.run(
          saeId,
          i,
          fires,
          fires / 100000,
          fires / 100,
          image,
          text,
          modality,
          i % 10 === 0 ? `concept ${i}` : null,
        );
      }
    })();
  } finally {
    project.close();
  }
}

const rowCount = (page: Page) => page.getByTestId('feature-row').count();

describe('end to end: 100k features', () => {
  let browser: Browser;
  let served: Served;
  beforeAll(async () => {
    const dir = path.join(tempDir('sightline-scale-'), 'scale.sightline');
    writeProject(dir);
    browser = await launchChromium();
    served = await serve(dir);
  });
  afterAll(async () => {
    await served?.stop();
    await browser?.close();
  });

  it('scrolls to the last feature with the wheel and the keyboard, holding fewer than 200 rows in the DOM', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${served.researcherUrl}#/features`);
    await page.getByText(`${FEATURES.toLocaleString()} features`).waitFor();
    await page.locator('[data-testid=feature-row][data-index="0"]').waitFor();
    const viewport = page.getByTestId('feature-viewport');

    // The wheel: a few thousand rows down, the rows follow and stay bounded.
    await viewport.hover();
    for (let step = 0; step < 20; step++) {
      await page.mouse.wheel(0, 4000);
      expect(await rowCount(page)).toBeLessThan(MAX_ROWS_IN_DOM);
    }
    await expect.poll(() => viewport.evaluate((el) => el.scrollTop)).toBeGreaterThan(50_000);
    const rowHeight = await page
      .getByTestId('feature-row')
      .first()
      .evaluate((row) => (row as HTMLElement).offsetHeight);
    const middle = Math.floor((await viewport.evaluate((el) => el.scrollTop)) / rowHeight);
    await page.locator(`[data-testid=feature-row][data-index="${middle + 1}"]`).waitFor();

    // The keyboard: End jumps to the bottom; the last feature appears once its page is loaded.
    await viewport.focus();
    await page.keyboard.press('End');
    const last = page.locator(`[data-testid=feature-row][data-index="${FEATURES - 1}"]`);
    await last.waitFor({ state: 'visible' });
    const [box, frame] = await Promise.all([last.boundingBox(), viewport.boundingBox()]);
    expect(box!.y + box!.height).toBeLessThanOrEqual(frame!.y + frame!.height + 1);
    expect(box!.y).toBeGreaterThanOrEqual(frame!.y);
    expect(await rowCount(page)).toBeLessThan(MAX_ROWS_IN_DOM);

    // And back up with the wheel from the end: still bounded.
    await viewport.hover();
    await page.mouse.wheel(0, -3000);
    await expect
      .poll(() => viewport.evaluate((el) => el.scrollTop < el.scrollHeight - el.clientHeight - 2000))
      .toBe(true);
    expect(await rowCount(page)).toBeLessThan(MAX_ROWS_IN_DOM);
    await page.close();
  });

  it('filters by label status and sorts by image share', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${served.researcherUrl}#/features`);
    await page.getByText(`${FEATURES.toLocaleString()} features`).waitFor();
    await page.getByTestId('label-filter').selectOption('labelled');
    await page.getByText(`${(FEATURES / 10).toLocaleString()} features`).waitFor();
    await page.getByTestId('label-filter').selectOption('unlabelled');
    await page.getByText(`${((FEATURES * 9) / 10).toLocaleString()} features`).waitFor();
    await page.getByTestId('label-filter').selectOption('');

    await page.getByTestId('feature-sort').selectOption('image_share:desc');
    const first = page.getByTestId('feature-row').first();
    // The split cell's tooltip: "<image> image / <text> text (<modality>)"; all-image features come first.
    await expect
      .poll(() => first.getByTestId('split-cell').getAttribute('title'))
      .toMatch(/^[1-9]\d* image \/ 0 text \(image\)$/);
    await page.getByTestId('feature-sort').selectOption('image_share:asc');
    await expect.poll(() => first.getByTestId('split-cell').getAttribute('title')).toMatch(/^0 image \/ /);
    await page.close();
  });
});
