import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { openProject } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';
import { tempDir } from '../helpers/factories';
import { launchChromium, serve, sightline, type Served } from './harness';

const IMG_PAYLOAD = '<img src=x onerror="window.__xssImg = 1">';
const SCRIPT_PAYLOAD = '<script>window.__xssScript = 1</script>';

describe('end to end: untrusted model output renders as text', () => {
  let browser: Browser;
  let served: Served;
  let projectDir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    projectDir = path.join(tempDir('sightline-xss-'), 'xss.sightline');
    const project = openProject(projectDir, { create: true });
    insertCampaign(
      project.db,
      {
        name: 'Hostile answers',
        template: BUILTIN_TEMPLATES['concept-choice'],
        instructions: `Careful ${SCRIPT_PAYLOAD}`,
        overlap: 1,
        leaseSeconds: 600,
        seed: 3,
        orderMode: 'fixed',
      },
      [
        {
          payload: {
            question: `What is this? ${IMG_PAYLOAD}`,
            answer: `A goldfish ${IMG_PAYLOAD} and ${SCRIPT_PAYLOAD}`,
            options: ['goldfish', `<b>volcano</b>`, 'strawberry', 'tabby cat'],
          },
          hidden: { target_class: 'volcano' },
        },
      ],
    );
    project.close();
    served = await serve(projectDir);
  });
  afterAll(async () => {
    await served?.stop();
    await browser?.close();
  });

  it('shows <img onerror> and <script> in answers, questions, options and instructions literally, and runs neither', async () => {
    const link = JSON.parse(
      sightline([
        'rater',
        'add',
        '--project',
        projectDir,
        '--campaign',
        'Hostile answers',
        '--name',
        'eve',
        '--base-url',
        served.url,
        '--json',
      ]),
    );
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => (dialogs.push(dialog.message()), dialog.dismiss()));
    await page.goto(link.url);
    await page.getByTestId('rater-item').waitFor();
    const answerText = (await page.getByTestId('answer-text').allInnerTexts()).join('\n');
    expect(answerText).toContain(IMG_PAYLOAD);
    expect(answerText).toContain(SCRIPT_PAYLOAD);
    expect(await page.getByTestId('option').allInnerTexts()).toContain('<b>volcano</b>');
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('instructions').innerText()).toContain(SCRIPT_PAYLOAD);
    // Nothing was parsed as markup: no <img src=x>, no injected <script>, no <b>, and no handler ran.
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('b', { hasText: 'volcano' }).count()).toBe(0);
    expect(
      await page.evaluate(() => [...document.scripts].filter((script) => script.textContent?.includes('__xss')).length),
    ).toBe(0);
    // Any image the page made has finished loading or failing, and one task turn later its onerror
    // would have run: wait for that state rather than a fixed 200 ms.
    await page.waitForFunction(() => [...document.images].every((image) => image.complete));
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await page.evaluate(() => [(window as any).__xssImg, (window as any).__xssScript])).toEqual([
      undefined,
      undefined,
    ]);
    expect(dialogs).toEqual([]);
  });
});
