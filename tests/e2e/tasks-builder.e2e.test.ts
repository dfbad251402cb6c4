// The researcher's side in Chromium: build campaigns from a feature selection and from an imported
// CSV (column mapping screen), watch one in the monitor, rate as one of its raters in the same
// window (break, flag), come back, pause (the rater sees the paused screen, not "All done"), resume and revoke; the rater workspace's instructions
// panel, skip and active time; a lease running out shown live in the monitor. Set
// SIGHTLINE_SCREENSHOTS=<dir> to keep screenshots of the pages.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, researcherApi, serve, sightline, type Served } from './harness';

let browser: Browser;
let served: Served;
const screenshots = process.env.SIGHTLINE_SCREENSHOTS;

async function snap(page: Page, name: string): Promise<void> {
  if (!screenshots) return;
  fs.mkdirSync(screenshots, { recursive: true });
  // Not fullPage: Chromium's full-page capture resizes the page and the next click can miss.
  const viewport = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.min(height, 4000) });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  await page.setViewportSize(viewport);
}

const soon = { timeout: 5000 };
/** Where a rater page's fake clock starts (Playwright's page.clock), a fixed time rather than now. */
const PAGE_CLOCK_START = Date.UTC(2030, 0, 1);
/** Hash routes change without a load event, so poll the address instead of waiting for navigation. */
const onMonitor = (page: Page) => expect.poll(() => new URL(page.url()).hash, soon).toMatch(/^#\/campaign\/\d+$/);

let projectDir: string;

beforeAll(async () => {
  // Not tempDir(): that folder goes after the first test, and later tests read this project's file.
  projectDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-builder-')), 'demo.sightline');
  sightline(['demo', '--project', projectDir]);
  [browser, served] = await Promise.all([launchChromium(), serve(projectDir)]);
  api = researcherApi(served);
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  fs.rmSync(path.dirname(projectDir), { recursive: true, force: true });
});

/** The served project's API as the researcher (what the builder does, without the clicks). */
let api: ReturnType<typeof researcherApi>;

/** Reads the served project's SQLite file from a second connection (WAL), as the export would. */
function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(projectDir, 'project.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const CSV = [
  'concept,answer,hidden.k,condition,gold.relatedness,notes',
  'goldfish,"A small orange fish, swimming.",0,k=0,,first',
  'goldfish,"Strawberries, strawberries.",10,k=10,,second',
  'volcano,"Lava flows down ""the"" mountain.",0,k=0,1,third',
].join('\n');

describe('campaign builder and monitor', () => {
  it('builds a campaign from selected features, monitors it, rates as its rater, pauses and revokes', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(served.researcherUrl);
    await page.getByRole('link', { name: 'Features' }).click();
    const boxes = page.getByTestId('feature-select');
    await boxes.first().waitFor();
    for (let n = 0; n < 3; n++) await boxes.nth(n).check();
    expect(await page.getByTestId('selection-count').innerText()).toBe('3 selected');
    await page.getByTestId('rate-features').click();

    // The builder opens with the selection as its source.
    await page.getByTestId('campaign-builder').waitFor();
    await expect
      .poll(
        () =>
          page
            .getByTestId('selected-features')
            .innerText()
            .catch(() => ''),
        soon,
      )
      .toMatch(/^3 features selected/);
    await page.locator('[data-testid="template-choice"][data-template-id="intruder"]').click();
    expect(await page.getByTestId('template-detail').innerText()).toContain('Which example does not belong?');
    await page.getByTestId('campaign-name').fill('');
    await page.getByTestId('instructions-input').fill('# Find the odd one\n<b>not bold</b>\nPress the key.');
    // Markdown is previewed as plain text with its line breaks, never as HTML.
    // Markdown becomes elements (a heading); raw HTML stays visible text, never markup.
    const preview = page.getByTestId('instructions-preview');
    await expect.poll(() => preview.locator('h3').innerText()).toBe('Find the odd one');
    expect(await preview.innerText()).toContain('<b>not bold</b>');
    expect(await preview.locator('b').count()).toBe(0);

    // Errors name the field: an empty name locally, a bad overlap from the server's schema.
    await page.getByTestId('create-campaign').click();
    await page.locator('[data-testid="field-error"][data-field="name"]').waitFor();
    await page.getByTestId('campaign-name').fill('Intruders');
    await page.getByTestId('setting-overlap').fill('0');
    await page.getByTestId('create-campaign').click();
    await page.locator('[data-testid="field-error"][data-field="settings.overlap"]').waitFor();
    expect(await page.getByTestId('create-errors').innerText()).toContain('overlap');
    await page.getByTestId('setting-overlap').fill('2');
    await snap(page, 'builder-features');
    await page.getByTestId('create-campaign').click();

    // The monitor of the new campaign.
    await onMonitor(page);
    const status = page.getByTestId('campaign-status');
    await status.waitFor();
    expect(await status.innerText()).toBe('open');
    await page.getByTestId('monitor-add-rater-name').fill('Grace');
    await page.getByTestId('monitor-add-rater').click();
    const row = page.getByTestId('monitor-rater-row').filter({ hasText: 'Grace' });
    await row.waitFor();

    // Rate as Grace in this window: answer one item, take a break, flag the next, come back.
    await row.getByTestId('rate-as').click();
    await expect.poll(() => new URL(page.url()).pathname, soon).toBe('/rate');
    await page.getByTestId('rater-item').waitFor();
    await page.keyboard.press('2');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('rater-progress').innerText(), soon).toMatch(/^1\s*\//);
    await page.keyboard.press('b');
    await page.getByTestId('break-screen').waitFor();
    expect(await page.getByTestId('break-screen').innerText()).toContain('On a break — press any key to continue');
    await page.keyboard.press('x');
    await page.getByTestId('break-screen').waitFor({ state: 'detached' });
    await page.keyboard.press('f');
    await page.getByTestId('flag-comment').fill('two examples look identical');
    await page.keyboard.press('Enter');
    await page.getByText('Flagged for the researcher').waitFor();
    await page.getByTestId('back-to-researcher').click();

    // Back in the monitor: Grace's judgement and flag are there.
    await onMonitor(page);
    await expect
      .poll(
        () =>
          page
            .getByTestId('monitor-rater-row')
            .filter({ hasText: 'Grace' })
            .getByTestId('rater-submitted')
            .innerText()
            .catch(() => ''),
        soon,
      )
      .toBe('1');
    expect(await page.getByTestId('flagged-row').innerText()).toContain('two examples look identical');
    expect(await page.getByTestId('balance-spread').count()).toBe(1);
    await snap(page, 'monitor');

    // Live: a judgement from another rater arrives as an event and the table follows (no reload).
    await page.getByTestId('monitor-add-rater-name').fill('Linus');
    await page.getByTestId('monitor-add-rater').click();
    // The newest link shown is Linus's once his row is there (both come from the same fetch).
    await page.getByTestId('monitor-rater-row').filter({ hasText: 'Linus' }).waitFor();
    const linusLink = await page.getByTestId('monitor-rater-link').innerText();
    const rater = await browser.newPage();
    await rater.goto(linusLink);
    await rater.getByTestId('rater-item').waitFor();
    await rater.keyboard.press('1');
    await rater.keyboard.press('Enter');
    await expect.poll(() => rater.getByTestId('rater-progress').innerText(), soon).toMatch(/^1\s*\//);
    await expect
      .poll(
        () =>
          page
            .getByTestId('monitor-rater-row')
            .filter({ hasText: 'Linus' })
            .getByTestId('rater-submitted')
            .innerText()
            .catch(() => ''),
        soon,
      )
      .toBe('1');

    await page.getByTestId('pause-campaign').click();
    await expect.poll(() => status.innerText(), soon).toBe('paused');
    // A paused study is a wait, not the end: no "All done", and Try again brings the items back.
    await rater.reload();
    await rater.getByTestId('waiting').waitFor();
    expect(await rater.getByTestId('waiting').getAttribute('data-waiting')).toBe('paused');
    expect(await rater.getByTestId('waiting').innerText()).toContain('This study is paused');
    expect(await rater.getByTestId('done').count()).toBe(0);
    await page.getByTestId('resume-campaign').click();
    await expect.poll(() => status.innerText(), soon).toBe('open');
    await rater.getByTestId('retry').click();
    await rater.getByTestId('rater-item').waitFor();
    await rater.close();

    const grace = page.getByTestId('monitor-rater-row').filter({ hasText: 'Grace' });
    await grace.getByTestId('revoke-rater').click();
    await grace.getByTestId('confirm-revoke').click();
    await expect.poll(() => grace.getAttribute('data-status'), soon).toBe('revoked');
    await page.close();
  });

  it('imports a CSV through the column mapping screen', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(served.researcherUrl);
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByTestId('new-campaign').click();
    await page.locator('[data-testid="template-choice"][data-template-id="concept-relatedness"]').click();
    await page.getByTestId('source-file').check();
    await page
      .getByTestId('item-file')
      .setInputFiles({ name: 'relatedness.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });

    // Prefilled from the conventions: hidden.*, gold.*, condition; every other column shown.
    const mapping = page.getByTestId('column-mapping');
    await mapping.waitFor();
    const roleOf = (column: string) =>
      page.locator(`[data-testid="mapping-row"][data-column="${column}"] [data-testid="mapping-role"]`).inputValue();
    expect(await roleOf('concept')).toBe('payload');
    expect(await roleOf('hidden.k')).toBe('hidden');
    expect(await roleOf('gold.relatedness')).toBe('gold');
    expect(await roleOf('condition')).toBe('condition');
    await page.getByTestId('import-ok').waitFor();
    expect(await mapping.innerText()).toContain('Lava flows down "the" mountain.');

    // Hiding the answer column breaks the template: the server's problem shows, naming the field.
    await page
      .locator('[data-testid="mapping-row"][data-column="answer"] [data-testid="mapping-role"]')
      .selectOption('hidden');
    await page.getByTestId('import-problem').waitFor();
    expect(await page.getByTestId('import-problem').innerText()).toContain('answer');
    await page
      .locator('[data-testid="mapping-row"][data-column="answer"] [data-testid="mapping-role"]')
      .selectOption('payload');
    await page
      .locator('[data-testid="mapping-row"][data-column="notes"] [data-testid="mapping-role"]')
      .selectOption('ignore');
    await page.getByTestId('import-ok').waitFor();
    await page.getByTestId('campaign-name').fill('Imported relatedness');
    await snap(page, 'builder-import');
    await page.getByTestId('create-campaign').click();
    await onMonitor(page);
    await page.getByTestId('campaign-status').waitFor();
    expect(await page.locator('.monitor-head').innerText()).toContain('3 items');
    expect(await page.getByTestId('balance-spread').innerText()).toContain('max spread 0');
    await page.close();
  });

  it('shows qualification progress, then the disqualified screen after a failed round', async () => {
    const text = [
      'concept,answer,kind,gold.relatedness',
      'volcano,Lava and ash.,qualification,1',
      'goldfish,A goldfish in a bowl.,qualification,1',
      'volcano,A quiet lake.,normal,',
      'goldfish,Strawberry jam.,normal,',
    ].join('\n');
    const created = await api<{ campaignId: number }>('campaigns.create', {
      name: 'Qualified relatedness',
      template: 'concept-relatedness',
      settings: { overlap: 1, qualification: { passMark: 1 } },
      source: { kind: 'file', fileName: 'qualify.csv', text },
    });
    const rater = await api<{ link: string }>('raters.add', { campaignId: created.campaignId, name: 'Careless' });
    const page = await browser.newPage();
    await page.goto(served.url + rater.link);
    await page.getByTestId('rater-item').waitFor();
    expect(await page.getByTestId('qualification-note').innerText()).toContain('0 of 2 answered');
    for (let n = 1; n <= 2; n++) {
      await page.keyboard.press('1'); // "0 — unrelated": wrong on both qualification items
      await page.keyboard.press('3');
      await page.keyboard.press('Enter');
      if (n === 1)
        await expect.poll(() => page.getByTestId('qualification-note').innerText(), soon).toContain('1 of 2 answered');
    }
    await page.getByTestId('disqualified').waitFor();
    expect(await page.getByTestId('disqualified').innerText()).toContain(
      'Thanks — you did not pass the qualification round',
    );
    expect(await page.getByTestId('qualification-note').count()).toBe(0);
    await page.close();
  });
  it('rater workspace: the instructions panel, skip, and active time that leaves a break out', async () => {
    const created = await api<{ campaignId: number }>('campaigns.create', {
      name: 'Workspace keys',
      template: 'concept-choice',
      instructions: '# Pick the concept\nThe one the answer is about.',
      settings: { overlap: 1, seed: 7 },
      source: { kind: 'generations' },
    });
    const rater = await api<{ link: string }>('raters.add', { campaignId: created.campaignId, name: 'Keys' });
    const page = await browser.newPage();
    // The page's clock (performance.now and timers) is Playwright's fake: it runs on its own until
    // the active-time part pauses it and moves it by hand (issue 12: no wall time in assertions).
    await page.clock.install({ time: PAGE_CLOCK_START });
    await page.goto(served.url + rater.link);
    await page.getByTestId('rater-item').waitFor();
    const assignmentId = async () => Number(await page.getByTestId('rater-item').getAttribute('data-assignment-id'));

    // ? opens the instructions (markdown rendered as elements) and closes them again.
    expect(await page.getByTestId('instructions').count()).toBe(0);
    await page.keyboard.press('?');
    await expect
      .poll(
        () =>
          page
            .getByTestId('instructions')
            .locator('h3')
            .innerText()
            .catch(() => ''),
        soon,
      )
      .toBe('Pick the concept');
    await page.keyboard.press('?');
    await page.getByTestId('instructions').waitFor({ state: 'detached' });

    // From here the page's time moves only when the test moves it. Paused before the skip, so the
    // next item's clock starts at the paused time (ten minutes on is well past the page's load).
    await page.clock.pauseAt(PAGE_CLOCK_START + 600_000);

    // s skips: another item appears and the skipped one is recorded as skipped, not answered.
    const skipped = await assignmentId();
    await page.keyboard.press('s');
    await expect.poll(assignmentId, soon).not.toBe(skipped);
    expect(query<{ status: string }>('SELECT status FROM assignments WHERE id = ?', skipped)).toEqual([
      { status: 'skipped' },
    ]);

    // Active time: 4 s on the item, a 60 s break that does not count, 2 s more, then the answer.
    const answered = await assignmentId();
    await page.clock.runFor(4_000);
    await page.keyboard.press('b');
    await page.getByTestId('break-screen').waitFor();
    await page.clock.runFor(60_000);
    await page.keyboard.press('x');
    await page.getByTestId('break-screen').waitFor({ state: 'detached' });
    await page.clock.runFor(2_000);
    await page.keyboard.press('1');
    await page.keyboard.press('Enter');
    await expect.poll(assignmentId, soon).not.toBe(answered);
    const [judgement] = query<{ active_ms: number }>(
      "SELECT active_ms FROM judgements WHERE assignment_id = ? AND action = 'submit'",
      answered,
    );
    expect(judgement.active_ms).toBe(6_000);
    await page.close();
  });

  it('the monitor shows a lease running out as it happens (pushed, no reload)', async () => {
    const created = await api<{ campaignId: number }>('campaigns.create', {
      name: 'Short leases',
      template: 'concept-choice',
      settings: { overlap: 1, seed: 7 },
      source: { kind: 'generations' },
    });
    // One-second leases (the builder's minimum is 10 s); the server reads the length per lease.
    const db = new Database(path.join(projectDir, 'project.sqlite'));
    db.prepare('UPDATE campaigns SET lease_seconds = 1 WHERE id = ?').run(created.campaignId);
    db.close();
    const rater = await api<{ link: string }>('raters.add', { campaignId: created.campaignId, name: 'Walks away' });

    const monitor = await browser.newPage();
    await monitor.goto(`${served.researcherUrl}#/campaign/${created.campaignId}`);
    await monitor.getByTestId('expired-leases').waitFor();
    expect(await monitor.getByTestId('expired-leases').innerText()).toBe('0');

    // The rater takes items (and their leases), then leaves without answering.
    const page = await browser.newPage();
    await page.goto(served.url + rater.link);
    await page.getByTestId('rater-item').waitFor();
    await page.close();
    // The served project runs on the real clock in its own process: wait for the state (a generous
    // bound, not a timing claim) rather than sleeping past the lease.
    await expect.poll(() => monitor.getByTestId('expired-leases').innerText(), { timeout: 20_000 }).not.toBe('0');
    expect(await monitor.getByTestId('open-leases').innerText()).toBe('0');
    await monitor.close();
  });
});
