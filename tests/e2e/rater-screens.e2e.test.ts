// Issue 15, the rater's screens in Chromium at a desktop (1440×900) and a phone (390×844) size:
// the label form beside the examples, no heatmap controls where activations are hidden, Enter on
// an unticked multi-select, the header and tap targets on a phone, Tab and screen-reader structure,
// undo bringing the previous answer back, the pages a bad or withdrawn link leads to, and the
// builder checking settings as they are typed. Screenshots go to tests/.screenshots/ (gitignored).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRow, RaterLink } from '../../src-main/contract';
import { launchChromium, researcherApi, screenshot, serve, sightline, type Served } from './harness';

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const soon = { timeout: 5000 };
const LONG_NAME =
  'Feature labels for the layer-20 multimodal SAE of LLaVA-NeXT 7B, second round, with a campaign name long enough to wrap';

let browser: Browser;
let served: Served;
let api: ReturnType<typeof researcherApi>;
let featureIds: number[];
let projectDir: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // Not tempDir(): that folder goes after the first test, and the server reads its media all along.
  projectDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-rater-screens-')), 'demo.sightline');
  sightline(['demo', '--project', projectDir]);
  [browser, served] = await Promise.all([launchChromium(), serve(projectDir)]);
  api = researcherApi(served);
  // Dense features have the four top examples an intruder item needs.
  const list = await api<{ rows: FeatureRow[] }>('features.list', { sort: 'density', descending: true, limit: 3 });
  featureIds = list.rows.map((row) => row.id);
});
// Each open rater page holds an event stream; pages left open would use up Chromium's connections to the server.
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  fs.rmSync(path.dirname(projectDir), { recursive: true, force: true });
});

/** A campaign over the dense features with one rater; returns the rater's page at the given size. */
async function raterPage(
  template: string,
  viewport: { width: number; height: number },
  settings: Record<string, unknown> = {},
  name = `${template} ${viewport.width}`,
): Promise<{ page: Page; rater: RaterLink; campaignId: number }> {
  const created = await api<{ campaignId: number }>('campaigns.create', {
    name,
    template,
    instructions: 'Look at every example, then answer.',
    settings: { overlap: 1, seed: 5, ...settings },
    source: { kind: 'features', featureIds },
  });
  const rater = await api<RaterLink>('raters.add', {
    campaignId: created.campaignId,
    name: `rater ${created.campaignId}`,
  });
  const context = await browser.newContext({ viewport, hasTouch: viewport.width < 500 });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(served.url + rater.link);
  await page.getByTestId('rater-item').waitFor();
  return { page, rater, campaignId: created.campaignId };
}

const box = async (page: Page, selector: string) => {
  const found = await page.locator(selector).first().boundingBox();
  if (!found) throw new Error(`${selector}: not on screen`);
  return found;
};

async function expectScreenshot(page: Page, name: string): Promise<void> {
  // Every image on screen has loaded (none broken) before the picture is taken.
  await page
    .waitForFunction(() => [...document.images].every((image) => image.complete && image.naturalWidth > 0), null, soon)
    .catch(async (error) => {
      const broken = await page.evaluate(() =>
        [...document.images].filter((image) => !image.complete || image.naturalWidth === 0).map((image) => image.src),
      );
      throw new Error(`${name}: images not loaded: ${broken.join(', ')} (${(error as Error).message})`);
    });
  const shot = await screenshot(page, name);
  expect(fs.statSync(shot.file).size, shot.file).toBeGreaterThan(5000);
  expect(shot.colours, `${shot.file} is not blank`).toBeGreaterThan(50);
}

const assignmentIdOf = async (page: Page) =>
  Number(await page.getByTestId('rater-item').getAttribute('data-assignment-id'));

describe('rater screens on a desktop (1440×900)', () => {
  it('puts the feature-label form beside the examples, its label box in view, under one h1 naming the campaign', async () => {
    const { page } = await raterPage('feature-label', DESKTOP, {}, LONG_NAME);
    const examples = await box(page, '.displays');
    const questions = await box(page, '.questions');
    const labelBox = await box(page, '.text-answer');
    expect(questions.x, 'questions to the right of the examples').toBeGreaterThanOrEqual(examples.x + examples.width);
    expect(labelBox.y + labelBox.height).toBeLessThanOrEqual(DESKTOP.height);
    expect(labelBox.y).toBeGreaterThanOrEqual(0);
    // Scrolled to the last example, the form is still in view (it sticks beside them).
    await page.locator('.example').last().scrollIntoViewIfNeeded();
    const afterScroll = await box(page, '.text-answer');
    const header = await box(page, '.rater-header');
    expect(afterScroll.y, 'below the sticky header, not under it').toBeGreaterThanOrEqual(header.y + header.height);
    expect(afterScroll.y + afterScroll.height).toBeLessThanOrEqual(DESKTOP.height);
    await page.evaluate(() => window.scrollTo(0, 0));

    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('h1').innerText()).toBe(LONG_NAME);
    await expect.poll(() => page.title(), soon).toBe(`${LONG_NAME} · Sightline`);
    await expectScreenshot(page, 'rater-feature-label-desktop');
  });

  it('shows detection and intruder examples without heatmap controls; Enter with nothing ticked does not submit', async () => {
    const { page } = await raterPage('feature-detection', DESKTOP);
    await page.locator('.keyed-example').first().waitFor();
    const images = await page.locator('.keyed-example img').count();
    expect(images, 'the demo features have image examples').toBeGreaterThan(0);
    expect(await page.getByTestId('heatmap-controls').count()).toBe(0);
    expect(await page.locator('.keyed-example .heatmap, .keyed-example canvas').count()).toBe(0);

    const before = await assignmentIdOf(page);
    await page.keyboard.press('Enter');
    await page.getByTestId('empty-multi').waitFor(soon);
    expect(await assignmentIdOf(page)).toBe(before);
    expect(await page.getByTestId('rater-progress').innerText()).toMatch(/^0\s*\//);
    await expectScreenshot(page, 'rater-detection-desktop');
    // The second Enter is a deliberate "none of these".
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('rater-progress').innerText(), soon).toMatch(/^1\s*\//);

    const intruder = await raterPage('intruder', DESKTOP);
    await intruder.page.locator('.keyed-example img').first().waitFor();
    expect(await intruder.page.getByTestId('heatmap-controls').count()).toBe(0);
    await expectScreenshot(intruder.page, 'rater-intruder-desktop');
    // The feature-label template shows highlights: its controls are still there.
    const label = await raterPage('feature-label', DESKTOP, {}, 'label with highlights');
    await label.page.locator('.example img').first().waitFor();
    expect(await label.page.getByTestId('heatmap-controls').count()).toBeGreaterThan(0);
  });

  it('lets Tab reach the options, Submit and Instructions; ] and ↓ move between questions; Enter on Instructions opens them', async () => {
    const { page } = await raterPage('feature-label', DESKTOP, {}, 'keyboard walk');
    await page.keyboard.press('Escape'); // leave the label box, which has the keyboard first
    const reached = new Set<string>();
    for (let n = 0; n < 60 && reached.size < 3; n++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        if (!element) return '';
        if (element.dataset.testid === 'option') return 'option';
        if (element.dataset.testid === 'submit') return 'submit';
        return element.textContent?.startsWith('Instructions') ? 'instructions' : '';
      });
      if (focused) reached.add(focused);
    }
    expect([...reached].sort()).toEqual(['instructions', 'option', 'submit']);

    // Tabbing to an option makes its question the highlighted one; Space picks it.
    const activeId = () => page.locator('.question.active').getAttribute('data-question-id');
    await page.locator('[data-question-id="modality"] [data-testid="option"]').first().focus();
    expect(await activeId()).toBe('modality');
    await page.keyboard.press(' ');
    expect(await page.locator('[data-question-id="modality"] [aria-checked="true"]').count()).toBe(1);
    await page.locator('[data-question-id="interpretability"] [data-testid="option"]').first().focus();
    await page.keyboard.press(']');
    expect(await activeId()).toBe('modality');
    await page.keyboard.press('[');
    expect(await activeId()).toBe('interpretability');
    await page.keyboard.press('ArrowDown');
    expect(await activeId()).toBe('modality');

    const instructions = page.getByRole('button', { name: /^Instructions/ });
    await instructions.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('instructions').waitFor(soon);
    expect(await page.getByTestId('rater-progress').innerText()).toMatch(/^0\s*\//);
  });

  it('undo brings the item back with the previous answer selected: text, scale and choice', async () => {
    const { page } = await raterPage('feature-label', DESKTOP, {}, 'undo label');
    const first = await assignmentIdOf(page);
    await page.keyboard.type('vertical stripes');
    await page.keyboard.press('Enter'); // → interpretability
    await page.keyboard.press('4'); // → modality
    await page.keyboard.press('3'); // → confidence
    await page.keyboard.press('2');
    await page.keyboard.press('Enter');
    await expect.poll(() => assignmentIdOf(page).catch(() => first), soon).not.toBe(first);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Backspace');
    await expect.poll(() => assignmentIdOf(page).catch(() => 0), soon).toBe(first);
    expect(await page.locator('.text-answer').inputValue()).toBe('vertical stripes');
    const checked = (question: string) =>
      page.locator(`[data-question-id="${question}"] [aria-checked="true"]`).getAttribute('data-key');
    expect(await checked('interpretability')).toBe('4');
    expect(await checked('modality')).toBe('3');
    expect(await checked('confidence')).toBe('2');
    // Nothing to redo: the restored answer submits as it stands.
    expect(await page.getByTestId('submit').getAttribute('aria-disabled')).toBe('false');

    const detection = await raterPage('feature-detection', DESKTOP, {}, 'undo detection');
    const item = await assignmentIdOf(detection.page);
    await detection.page.keyboard.press('1');
    await detection.page.keyboard.press('3');
    const ticked = await detection.page
      .locator('[aria-checked="true"]')
      .evaluateAll((options) => options.map((option) => option.getAttribute('data-value')));
    expect(ticked).toHaveLength(2);
    await detection.page.keyboard.press('Enter');
    await expect.poll(() => assignmentIdOf(detection.page).catch(() => item), soon).not.toBe(item);
    await detection.page.keyboard.press('Backspace');
    await expect.poll(() => assignmentIdOf(detection.page).catch(() => 0), soon).toBe(item);
    const restored = await detection.page
      .locator('[aria-checked="true"]')
      .evaluateAll((options) => options.map((option) => option.getAttribute('data-value')));
    expect(restored).toEqual(ticked);
  });
});

describe('rater screens on a phone (390×844)', () => {
  it('fits the header in 390 px, wraps a long campaign name and gives every tap target 44 px', async () => {
    const { page } = await raterPage('feature-label', PHONE, {}, `${LONG_NAME} (phone)`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    const header = await box(page, '.rater-header');
    expect(header.x + header.width).toBeLessThanOrEqual(PHONE.width);
    const title = await box(page, 'h1');
    const lineHeight = await page
      .locator('h1')
      .evaluate((element) => Number.parseFloat(getComputedStyle(element).lineHeight));
    expect(title.height, 'the long name wraps onto more lines').toBeGreaterThan(1.5 * lineHeight);
    expect(title.x + title.width).toBeLessThanOrEqual(PHONE.width);

    const targets = await page.locator('.rater button:visible, .rater input:visible').evaluateAll((elements) =>
      elements.map((element) => {
        const rect = element.getBoundingClientRect();
        return { what: element.textContent?.trim() || element.className, width: rect.width, height: rect.height };
      }),
    );
    expect(targets.length).toBeGreaterThan(8);
    const small = targets.filter((target) => target.height < 44 || target.width < 44);
    expect(small, 'tap targets under 44 px').toEqual([]);
    await expectScreenshot(page, 'rater-feature-label-phone');

    const detection = await raterPage('feature-detection', PHONE);
    expect(await detection.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await expectScreenshot(detection.page, 'rater-detection-phone');
  });
});

describe('a bad or withdrawn rater link', () => {
  it('says in plain words what happened and whom to ask, with 404 or 403, one h1 and a title', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    contexts.push(context);
    const page = await context.newPage();
    const unknown = await page.goto(`${served.url}/rate?token=not-a-real-token`);
    expect(unknown!.status()).toBe(404);
    await page.getByTestId('link-refused').waitFor();
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('h1').innerText()).toBe('This link is not valid');
    expect(await page.title()).toBe('Sightline: This link is not valid');
    const unknownText = await page.locator('body').innerText();
    expect(unknownText).toContain('ask the person who sent you the link');
    expect(unknownText).not.toMatch(/\bat \S+:\d+|Error|unauthorized|token/);
    await expectScreenshot(page, 'link-not-valid-phone');

    // A withdrawn rater of a campaign that names a contact: that contact is whom to ask.
    const { rater } = await raterPage(
      'feature-label',
      DESKTOP,
      { contact: 'Ada Lovelace <ada@lab.example>' },
      'withdrawn link',
    );
    await api('raters.revoke', { raterId: rater.id });
    // The rater's open page: their next action is told the link was withdrawn, in the same plain words.
    const openPage = contexts.at(-1)!.pages()[0];
    await openPage.keyboard.press('Escape');
    await openPage.keyboard.press('s');
    await expect
      .poll(
        () =>
          openPage
            .locator('[role="alert"]')
            .innerText()
            .catch(() => ''),
        soon,
      )
      .toBe(
        'This link no longer works: it has been withdrawn or is not complete. Ask the person who sent you the link.',
      );
    expect(await openPage.getByTestId('rater-item').count()).toBe(0);
    const withdrawn = await page.goto(served.url + rater.link);
    expect(withdrawn!.status()).toBe(403);
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('h1').innerText()).toBe('This link has been withdrawn');
    expect(await page.title()).toBe('Sightline: This link has been withdrawn');
    const withdrawnText = await page.locator('body').innerText();
    expect(withdrawnText).toContain('ask Ada Lovelace <ada@lab.example> for a new link');
    expect(withdrawnText).not.toMatch(/\bat \S+:\d+|Error|revoked|token/);
  });
});

describe('the campaign builder', () => {
  it('checks settings as they are typed, in the units shown; names a binary file; warns about unlabelled detection features', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(served.researcherUrl);
    await page.getByRole('link', { name: 'Features' }).click();
    await page.getByTestId('label-filter').selectOption('unlabelled');
    const boxes = page.getByTestId('feature-select');
    await boxes.first().waitFor();
    await expect.poll(() => boxes.count(), soon).toBeGreaterThan(1);
    for (let n = 0; n < 2; n++) await boxes.nth(n).check();
    await page.getByTestId('rate-features').click();
    await page.getByTestId('campaign-builder').waitFor();

    // Detection over unlabelled features: listed as "unlabelled", with a warning.
    await page.locator('[data-testid="template-choice"][data-template-id="feature-detection"]').click();
    await expect
      .poll(() => page.getByTestId('selected-feature-label').allInnerTexts(), soon)
      .toEqual(['unlabelled', 'unlabelled']);
    expect(await page.getByTestId('unlabelled-warning').innerText()).toMatch(
      /^2 of 2 selected features are unlabelled/,
    );
    await page.locator('[data-testid="template-choice"][data-template-id="feature-label"]').click();
    await expect.poll(() => page.getByTestId('unlabelled-warning').count(), soon).toBe(0);

    // Settings are checked while typing, before Create, in minutes as the form shows them.
    const leaseError = page.locator('[data-testid="field-error"][data-field="settings.leaseSeconds"]');
    await page.getByTestId('setting-lease').fill('0');
    await leaseError.waitFor(soon);
    expect(await leaseError.innerText()).toBe('lease: at least 1 minute');
    await page.getByTestId('setting-lease').fill('20');
    await expect.poll(() => leaseError.count(), soon).toBe(0);
    await page.getByTestId('setting-overlap').fill('101');
    expect(await page.locator('[data-testid="field-error"][data-field="settings.overlap"]').innerText()).toBe(
      'overlap: a whole number of raters from 1 to 100',
    );
    await page.getByTestId('setting-overlap').fill('3');

    // A workbook chosen as the item file is named as such; none of its bytes are printed.
    await page.getByTestId('source-file').check();
    const workbook = Buffer.concat([
      Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'),
      Buffer.from('[Content_Types].xml\u00ff\u00fe\u0001GARBAGE-BYTES', 'latin1'),
    ]);
    await page.getByTestId('item-file').setInputFiles({ name: 'items.xlsx', mimeType: 'text/csv', buffer: workbook });
    const sourceError = page.locator('[data-testid="field-error"][data-field="source"]');
    await sourceError.waitFor(soon);
    const said = await sourceError.innerText();
    expect(said).toContain('items.xlsx');
    expect(said).toContain('a ZIP archive (an Excel .xlsx workbook is one)');
    expect(said).not.toContain('GARBAGE');
    expect(said).not.toContain('Content_Types');
    await expectScreenshot(page, 'builder-validation-desktop');
  });
});
