// Every built-in task type, end to end: a campaign per template through the HTTP API, a rater
// answering two items of each with the keyboard only, and the monitor counting the judgements.
// The pairwise rater is a Prolific participant: they arrive through the study link and end on the
// completion code.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignMonitor, CampaignSummary, FeatureRow, MethodInput, RaterLink } from '../../src-main/contract';
import { tempDir } from '../helpers/factories';
import { launchChromium, researcherApi, serve, sightline, type Served } from './harness';

let browser: Browser;
let served: Served;

/** The served project's API as the researcher. */
let api: ReturnType<typeof researcherApi>;

beforeAll(async () => {
  const projectDir = path.join(tempDir('sightline-tasks-'), 'demo.sightline');
  sightline(['demo', '--project', projectDir]);
  [browser, served] = await Promise.all([launchChromium(), serve(projectDir)]);
  api = researcherApi(served);
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const assignmentIdOf = async (page: Page): Promise<number> =>
  Number(await page.getByTestId('rater-item').getAttribute('data-assignment-id', { timeout: 5000 }));

/** The keys each task type is answered with, and what must be on screen first. */
interface TaskCase {
  template: string;
  source: MethodInput<'campaigns.create'>['source'];
  prolific?: string;
  check: (page: Page) => Promise<void>;
  answer: (page: Page, n: number) => Promise<void>;
}

/** Examples are drawn in the order of the question's shown options, each with the key that picks it. */
async function examplesFollowOptions(page: Page): Promise<void> {
  const keyed = page.locator('.keyed-example');
  const optionLabels = await page.getByTestId('option').allInnerTexts();
  expect(await keyed.count()).toBe(optionLabels.length);
  const shownKeys = await keyed.locator('kbd').allInnerTexts();
  const optionKeys = await page
    .getByTestId('option')
    .evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-key')));
  expect(shownKeys).toEqual(optionKeys);
  const exampleLabels = (await keyed.locator('.example-key').allInnerTexts()).map((text) =>
    text.replace(/^\S+\s+/, '').trim(),
  );
  expect(exampleLabels).toEqual(optionLabels.map((label) => label.trim()));
}

describe('every task type with the keyboard only', () => {
  let featureIds: number[];
  beforeAll(async () => {
    // Dense features have at least four top examples (intruder needs four plus another feature's).
    const list = await api<{ rows: FeatureRow[] }>('features.list', { sort: 'density', descending: true, limit: 3 });
    featureIds = list.rows.map((row) => row.id);
    expect(featureIds).toHaveLength(3);
  });

  const cases: TaskCase[] = [
    {
      template: 'feature-label',
      source: { kind: 'features', featureIds: [] },
      check: async (page) => {
        await expect.poll(() => page.locator('.example').count(), { timeout: 5000 }).toBeGreaterThan(0);
        await expect
          .poll(() => page.evaluate(() => document.activeElement?.classList.contains('text-answer')), { timeout: 5000 })
          .toBe(true);
        // Blinded copies (issue 11: no ids or raw activations reach the rater) are named by place.
        const alts = await page
          .locator('.example img')
          .evaluateAll((images) => images.map((image) => image.getAttribute('alt') ?? ''));
        expect(alts.filter((alt) => /Example 0\b/.test(alt))).toEqual([]);
      },
      answer: async (page, n) => {
        await page.keyboard.type(`stripes ${n}`); // the text question has the keyboard
        await page.keyboard.press('Enter'); // → interpretability
        await page.keyboard.press('4'); // → modality
        await page.keyboard.press('3'); // both → confidence (optional)
        await page.keyboard.press('2');
        await page.keyboard.press('Enter');
      },
    },
    {
      template: 'feature-detection',
      source: { kind: 'features', featureIds: [] },
      check: async (page) => {
        await page.locator('.keyed-example').first().waitFor();
        await examplesFollowOptions(page);
      },
      answer: async (page) => {
        await page.keyboard.press('1');
        await page.keyboard.press('3');
        await expect.poll(() => page.locator('.option.chosen').count(), { timeout: 5000 }).toBe(2);
        await page.keyboard.press('Enter');
      },
    },
    {
      template: 'intruder',
      source: { kind: 'features', featureIds: [] },
      check: async (page) => {
        await page.locator('.keyed-example').first().waitFor();
        expect(await page.getByTestId('option').count()).toBe(5);
        await examplesFollowOptions(page);
        // Images are named by their place, not a database id (blinded copies carry id 0).
        const alts = await page
          .locator('.keyed-example img')
          .evaluateAll((images) => images.map((image) => image.getAttribute('alt') ?? ''));
        expect(alts.filter((alt) => /Example 0\b/.test(alt))).toEqual([]);
        if (alts.length) expect(alts[0]).toMatch(/^Example \d/);
      },
      answer: async (page, n) => {
        await page.keyboard.press(String(n + 1));
        await page.keyboard.press('Enter');
      },
    },
    {
      template: 'concept-choice',
      source: { kind: 'generations' },
      check: async (page) => {
        expect(await page.getByTestId('option').count()).toBe(5);
      },
      answer: async (page, n) => {
        await page.keyboard.press(String(n));
        await page.keyboard.press('Enter');
      },
    },
    {
      template: 'concept-relatedness',
      source: { kind: 'generations' },
      check: async (page) => {
        expect(await page.locator('[data-question-id="relatedness"] [data-testid="option"]').count()).toBe(6);
        expect(await page.locator('[data-question-id="coherence"] [data-testid="option"]').count()).toBe(5);
      },
      answer: async (page) => {
        await page.keyboard.press('6'); // incoherent → coherence
        await page.keyboard.press('2');
        await page.keyboard.press('Enter');
      },
    },
    {
      template: 'pairwise',
      source: { kind: 'generations' },
      prolific: 'TASKS-OK',
      check: async (page) => {
        const sides = page.locator('.pair-side');
        await expect.poll(() => sides.count(), { timeout: 5000 }).toBe(2);
        expect(await sides.locator('.display-label').allInnerTexts()).toEqual(['Left', 'Right']);
        for (const text of await sides.getByTestId('answer-text').allInnerTexts())
          expect(text.length).toBeGreaterThan(0);
      },
      answer: async (page) => {
        await page.keyboard.press('3'); // tie
        await page.keyboard.press('Enter');
      },
    },
  ];

  it('renders each built-in template and takes two keyboard answers on each', async () => {
    for (const task of cases) {
      const source = task.source.kind === 'features' ? { kind: 'features' as const, featureIds } : task.source;
      const created = await api<{ campaignId: number; items: number }>('campaigns.create', {
        name: `tasks ${task.template}`,
        template: task.template,
        instructions: 'Answer with the keys.\nEnter submits.',
        settings: {
          overlap: 1,
          maxItemsPerRater: 2,
          seed: 7,
          ...(task.prolific ? { prolific: { completionCode: task.prolific } } : {}),
        },
        source,
      });
      expect(created.items, task.template).toBeGreaterThanOrEqual(2);
      const context = await browser.newContext();
      const page = await context.newPage();
      if (task.prolific) {
        // A Prolific participant arrives through the study URL the campaign card shows (what the
        // researcher pastes into Prolific, which fills in the ids), and it creates them as a rater.
        const researcher = await browser.newPage();
        await researcher.goto(served.researcherUrl);
        await researcher.getByRole('link', { name: 'Campaigns' }).click();
        const studyUrl = await researcher
          .getByTestId('campaign-row')
          .filter({ hasText: `tasks ${task.template}` })
          .getByTestId('prolific-study-url')
          .innerText();
        await researcher.close();
        const summary = (await api<CampaignSummary[]>('campaigns.list', {})).find(
          (campaign) => campaign.id === created.campaignId,
        )!;
        expect(studyUrl).toBe(served.url + summary.entryPath);
        expect(studyUrl).toContain(
          '?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}',
        );
        await page.goto(
          studyUrl
            .replace('{{%PROLIFIC_PID%}}', 'pid-kb')
            .replace('{{%STUDY_ID%}}', 'study-kb')
            .replace('{{%SESSION_ID%}}', 'session-kb'),
        );
        expect(new URL(page.url()).pathname, 'redirected to the rater page').toBe('/rate');
      } else {
        const rater = await api<RaterLink>('raters.add', {
          campaignId: created.campaignId,
          name: `kb-${task.template}`,
        });
        await page.goto(served.url + rater.link);
      }
      for (let n = 1; n <= 2; n++) {
        const before = await assignmentIdOf(page).catch(async (error) => {
          throw new Error(
            `${task.template}, item ${n}: ${(error as Error).message}\nOn screen: ${await page.locator('body').innerText()}`,
          );
        });
        await task.check(page);
        // A Prolific campaign bounds skips (2 by default): the page says how many are left.
        if (task.prolific) expect(await page.getByTestId('skip').innerText()).toBe('Skip (s) · 2 left');
        await task.answer(page, n);
        if (n === 1)
          await expect
            .poll(() => assignmentIdOf(page).catch(() => before), { message: task.template, timeout: 5000 })
            .not.toBe(before);
        await expect
          .poll(() => page.getByTestId('rater-progress').innerText(), { message: task.template, timeout: 5000 })
          .toMatch(new RegExp(`^${n}\\s*/`));
      }
      // Two items per rater: the done screen follows (with the Prolific code where the campaign has one).
      await page.getByTestId('done').waitFor();
      if (task.prolific) {
        expect(await page.getByTestId('completion-code').innerText()).toBe(task.prolific);
        expect(await page.getByTestId('completion-link').getAttribute('href')).toContain(`cc=${task.prolific}`);
        // The same participant id from another Prolific session gets a refusal page, not this rater.
        const summary = (await api<CampaignSummary[]>('campaigns.list', {})).find(
          (campaign) => campaign.id === created.campaignId,
        )!;
        const other =
          served.url +
          summary
            .entryPath!.replace('{{%PROLIFIC_PID%}}', 'pid-kb')
            .replace('{{%STUDY_ID%}}', 'study-kb')
            .replace('{{%SESSION_ID%}}', 'session-other');
        await page.goto(other);
        await page.getByTestId('entry-refused').waitFor();
        expect(await page.locator('h1').innerText()).toBe('This study was started from another Prolific session');
        expect(new URL(page.url()).pathname).toMatch(/^\/enter\//);
      }
      await context.close();

      const monitor = await api<CampaignMonitor>('campaigns.monitor', { campaignId: created.campaignId });
      expect(monitor.campaign.submitted, task.template).toBe(2);
      expect(
        monitor.raters.map((row) => row.submitted),
        task.template,
      ).toEqual([2]);
      if (task.prolific) {
        expect(monitor.raters.map((row) => row.name)).toEqual(['prolific:pid-kb']);
        // When the code was shown is on record for the researcher.
        expect(monitor.raters[0].completion).toMatchObject({ outcome: 'completed', shownAt: expect.any(Number) });
      }
    }
  });
});

describe('a Prolific participant in a qualification round', () => {
  it('has no undo during the round, learns the verdict only at its end, and a failed round shows the screen-out code', async () => {
    const OPTIONS = '"[""goldfish"",""volcano"",""strawberry"",""tabby cat""]"';
    const rows = ['question,answer,options,kind,gold.concept'];
    for (let n = 0; n < 2; n++) rows.push(`Qualify,Lava pours down a mountain ${n}.,${OPTIONS},qualification,volcano`);
    for (let n = 0; n < 3; n++) rows.push(`What is shown?,answer ${n},${OPTIONS},normal,`);
    const created = await api<{ campaignId: number }>('campaigns.create', {
      name: 'qualified study',
      template: 'concept-choice',
      instructions: '',
      settings: {
        overlap: 1,
        seed: 3,
        qualification: { passMark: 1 },
        prolific: { completionCode: 'PAID-Q', screenOutCode: 'OUT-Q' },
      },
      source: { kind: 'file', fileName: 'qualified.csv', text: rows.join('\n') },
    });
    const summary = (await api<CampaignSummary[]>('campaigns.list', {})).find(
      (campaign) => campaign.id === created.campaignId,
    )!;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(
      served.url +
        summary
          .entryPath!.replace('{{%PROLIFIC_PID%}}', 'pid-q')
          .replace('{{%STUDY_ID%}}', 'study-q')
          .replace('{{%SESSION_ID%}}', 'session-q'),
    );
    for (let n = 1; n <= 2; n++) {
      const before = await assignmentIdOf(page);
      await page.getByTestId('qualification-note').waitFor();
      expect(await page.getByTestId('undo').isDisabled()).toBe(true);
      // A wrong answer: any option but the gold one.
      const labels = await page.getByTestId('option').allInnerTexts();
      const wrong = labels.findIndex((label) => !/volcano/.test(label));
      await page.keyboard.press(String(wrong + 1));
      await page.keyboard.press('Enter');
      if (n === 1) {
        await expect.poll(() => assignmentIdOf(page).catch(() => before), { timeout: 5000 }).not.toBe(before);
        // Backspace would take the answer back outside the round; here it does nothing.
        await page.keyboard.press('Backspace');
        expect(await assignmentIdOf(page)).not.toBe(before);
        expect(await page.getByTestId('rater-progress').innerText()).toMatch(/^1\s*\//);
      }
    }
    await page.getByTestId('disqualified').waitFor();
    expect(await page.getByTestId('screen-out-code').innerText()).toBe('OUT-Q');
    expect(await page.getByTestId('screen-out-link').getAttribute('href')).toContain('cc=OUT-Q');
    expect(await page.locator('body').innerText()).not.toContain('PAID-Q');
    await context.close();
    const monitor = await api<CampaignMonitor>('campaigns.monitor', { campaignId: created.campaignId });
    expect(monitor.raters[0]).toMatchObject({ status: 'disqualified', completion: { outcome: 'screened-out' } });
  });
});
