// The Steer page in Chromium (issue 13) against `sightline serve` (the built CLI) on a project with the
// tiny transformers Llama fixture and its steering vector: Ctrl+Enter generates, both columns fill
// with what `sightline generate` prints for the same settings (k = 0 left, steered right), only ever
// growing toward that text as tokens stream in; a second generation finds the model loaded; a small
// sweep from the page shows progress, its generations by k equal the same CLI texts, and "Make a
// campaign from these" creates a concept-choice campaign and links to it; a sweep over a prompts file
// (a missing one refused by name) and an earlier sweep reopened from the list. Esc sends one
// steer.cancel naming the running generation. An SAE-feature clamp picked on the page, greedy and then
// sampled on a seed, gives what `sightline generate --method clamp ... --json` prints, with its KL
// shown; a sampled clamp sweep from the page shows each generation's KL. Expected texts come from the
// CLI, never from the page.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyBytes, randomSae, tempDir, writeSaeLensDir } from '../engine/fixtures';
import { expected, fixtureFolder } from '../lm/hf-fixtures';
import { launchChromium, serve, sightline, type Served } from './harness';

const want = expected('llama');
const { layer, k } = want.steer;
const prompt = want.prompts[0].text;
let dir: string;
let projectDir: string;
let served: Served;
let browser: Browser;
let page: Page;
/** What `sightline generate --json` answers: plain, and steered with the page's settings. */
let plainText: string;
let steeredText: string;

function generateText(...steer: string[]): string {
  return generateJson('--greedy', ...steer).text;
}

/** `sightline generate --json` on the page's prompt and 20 tokens, with `extra` options. */
function generateJson(...extra: string[]): { text: string; kl: number | null } {
  const out = sightline([
    'generate',
    '--project',
    projectDir,
    '--model',
    'llama',
    '--prompt',
    prompt,
    '--tokens',
    '20',
    ...extra,
    '--json',
  ]);
  return JSON.parse(out) as { text: string; kl: number | null };
}

beforeAll(async () => {
  dir = tempDir();
  projectDir = path.join(dir, 'steer.sightline');
  const vectorFile = path.join(dir, 'v.npy');
  const v = Float32Array.from(want.steer.vector);
  fs.writeFileSync(vectorFile, npyBytes(v, [v.length]));
  sightline(['init', '--project', projectDir]);
  sightline(['import-model', '--project', projectDir, '--path', fixtureFolder('llama')]);
  sightline(['vector', 'import', '--project', projectDir, '--path', vectorFile, '--name', 'v']);
  const saeDir = writeSaeLensDir(path.join(dir, 'sae'), randomSae('relu', v.length, 16, 7));
  sightline(['import-sae', '--project', projectDir, '--path', saeDir, '--name', 'sae16']);
  plainText = generateText();
  steeredText = generateText('--vector', 'v', '--layer', String(layer), '--k', String(k), '--method', 'add');
  served = await serve(projectDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

/** Records every text a column shows, from before the first token to the end. */
async function watchColumns(): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = { 'steer-baseline': [], 'steer-steered': [] };
    (window as unknown as { seenTexts: typeof seen }).seenTexts = seen;
    for (const id of Object.keys(seen)) {
      const element = document.querySelector(`[data-testid="${id}"]`)!;
      new MutationObserver(() => seen[id].push(element.textContent ?? '')).observe(element, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    }
  });
}

describe('the Steer page', () => {
  it('generates the steered answer beside the k = 0 one, as `sightline generate` prints them', async () => {
    expect(steeredText).not.toBe(plainText);
    await page.goto(`${served.researcherUrl}#/steer`);
    await page.getByRole('link', { name: 'Steer' }).waitFor();
    await expect.poll(() => page.getByTestId('steer-model').inputValue()).toBe('llama');
    expect(await page.getByTestId('steer-vector').inputValue()).toBe('v');
    const config = JSON.parse(fs.readFileSync(path.join(fixtureFolder('llama'), 'config.json'), 'utf8'));
    expect(await page.getByTestId('steer-layer').getAttribute('max')).toBe(String(config.num_hidden_layers - 1));
    await page.getByTestId('steer-layer').fill(String(layer));
    await page.getByTestId('steer-method').selectOption('add');
    await page.getByTestId('steer-k').fill(String(k));
    expect(Number(await page.getByTestId('steer-k-slider').inputValue())).toBe(k);
    await page.getByTestId('steer-tokens').fill('20');
    await page.getByTestId('steer-prompt').fill(prompt);
    await watchColumns();
    await page.getByTestId('steer-prompt').press('Control+Enter');

    await expect.poll(() => page.getByTestId('steer-status').textContent(), { timeout: 60_000 }).toMatch(/^\s*Done/);
    expect(await page.getByTestId('steer-baseline').textContent()).toBe(plainText);
    expect(await page.getByTestId('steer-steered').textContent()).toBe(steeredText);
    expect(await page.getByTestId('steer-status').textContent()).toContain('(model loaded)');
    // Streamed text only ever grows toward the answer: no other generation's tokens, nothing reordered.
    const seen = await page.evaluate(() => (window as unknown as { seenTexts: Record<string, string[]> }).seenTexts);
    for (const [id, final] of [
      ['steer-baseline', plainText],
      ['steer-steered', steeredText],
    ] as const) {
      expect(seen[id].length).toBeGreaterThan(0);
      for (const text of seen[id].filter(Boolean)) expect(final.startsWith(text)).toBe(true);
    }

    // The same request again: the long-lived engine still holds the model.
    await page.getByTestId('steer-generate').click();
    await expect
      .poll(() => page.getByTestId('steer-status').textContent(), { timeout: 60_000 })
      .toContain('(model already loaded)');
    expect(await page.getByTestId('steer-steered').textContent()).toBe(steeredText);
  });

  it('Esc while generating asks steer.cancel to stop that generation (its own stream tag), once', async () => {
    // The generate request is held in the browser until the cancel has gone out, so Esc is pressed
    // while the page is certainly generating (the server then has nothing to stop, and says so).
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let generateStream = '';
    await page.route('**/api/steer.generate', async (route) => {
      generateStream = (route.request().postDataJSON() as { stream: string }).stream;
      await held;
      await route.continue();
    });
    const cancels: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/steer.cancel'))
        cancels.push((request.postDataJSON() as { stream: string }).stream);
    });
    const cancelSent = page.waitForRequest('**/api/steer.cancel');
    await page.getByTestId('steer-generate').click();
    await expect.poll(() => page.getByTestId('steer-status').textContent()).toContain('Generating');
    expect(await page.getByTestId('steer-stop').isEnabled()).toBe(true);
    await page.keyboard.press('Escape');
    await cancelSent;
    await expect.poll(() => page.getByTestId('steer-stop').isDisabled()).toBe(true);
    await page.keyboard.press('Escape'); // already stopping: no second request
    release();
    await expect.poll(() => page.getByTestId('steer-status').textContent(), { timeout: 60_000 }).toMatch(/Done/);
    expect(cancels).toEqual([generateStream]);
    expect(generateStream).toMatch(/^steer-/);
    expect(await page.getByTestId('steer-steered').textContent()).toBe(steeredText);
    await page.unroute('**/api/steer.generate');
  });

  it('runs a sweep with progress, browses it by k, and makes a campaign from it', async () => {
    await page.getByTestId('sweep-k-from').fill('0');
    await page.getByTestId('sweep-k-to').fill(String(k));
    await page.getByTestId('sweep-k-count').fill('2');
    expect(await page.getByTestId('sweep-ks').textContent()).toBe(`k = 0, ${k}`);
    await page.getByTestId('sweep-source-class').fill('goldfish');
    await page.getByTestId('sweep-target-class').fill('strawberry');
    await page.getByTestId('sweep-distractors').fill('volcano; school bus');
    await page.getByTestId('sweep-start').click();

    await expect.poll(() => page.getByTestId('sweep-job').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await page.getByTestId('sweep-progress').textContent()).toContain('2 / 2');
    await expect.poll(() => page.getByTestId('sweep-generation').count()).toBe(1);
    expect(await page.getByTestId('sweep-k-value').textContent()).toBe('k = 0');
    expect(await page.getByTestId('sweep-generation-text').textContent()).toBe(plainText);
    await page.getByTestId('sweep-k-slider').fill('1');
    expect(await page.getByTestId('sweep-k-value').textContent()).toBe(`k = ${k}`);
    expect(await page.getByTestId('sweep-generation-text').textContent()).toBe(steeredText);

    await page.getByTestId('campaign-template').selectOption('concept-choice');
    await page.getByTestId('campaign-name').fill('From the Steer page');
    await page.getByTestId('make-campaign').click();
    const link = page.getByTestId('campaign-link');
    await link.waitFor();
    expect(await link.textContent()).toContain('(2 items)');
    const shot = path.join(dir, 'steer-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.SIGHTLINE_SCREENSHOTS) {
      fs.mkdirSync(process.env.SIGHTLINE_SCREENSHOTS, { recursive: true });
      fs.copyFileSync(shot, path.join(process.env.SIGHTLINE_SCREENSHOTS, 'steer-page.png'));
    }
    expect(fs.readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');

    const campaigns = JSON.parse(sightline(['campaign', 'list', '--project', projectDir, '--json'])) as {
      id: number;
      name: string;
      templateId: string;
      itemCount: number;
    }[];
    const made = campaigns.find((c) => c.name === 'From the Steer page');
    expect(made).toMatchObject({ templateId: 'concept-choice', itemCount: 2 });
    expect(await link.getAttribute('href')).toBe(`#/campaign/${made!.id}`);
    await link.click();
    await expect.poll(() => page.url()).toContain(`#/campaign/${made!.id}`);
  });

  it('sweeps a prompts file read on the server, and reopens an earlier sweep from the list', async () => {
    const file = path.join(dir, 'prompts.txt');
    fs.writeFileSync(file, `${want.prompts[1].text}\n${want.prompts[2].text}\n`);
    await page.goto(`${served.researcherUrl}#/steer`);
    await expect.poll(() => page.getByTestId('steer-vector').inputValue()).toBe('v');
    await page.getByTestId('steer-layer').fill(String(layer));
    await page.getByTestId('steer-tokens').fill('20');
    await page.getByTestId('sweep-k-from').fill('0');
    await page.getByTestId('sweep-k-to').fill(String(k));
    await page.getByTestId('sweep-k-count').fill('2');
    await page.getByTestId('sweep-source-file').check();
    await page.getByTestId('sweep-prompts-path').fill(path.join(dir, 'missing.txt'));
    await page.getByTestId('sweep-start').click();
    await expect.poll(() => page.getByTestId('sweep-error').textContent()).toContain('missing.txt');
    await page.getByTestId('sweep-prompts-path').fill(file);
    await page.getByTestId('sweep-start').click();
    await expect.poll(() => page.getByTestId('sweep-job').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await page.getByTestId('sweep-progress').textContent()).toContain('4 / 4');
    await expect.poll(() => page.getByTestId('sweep-generation').count()).toBe(2);
    const texts = await page.getByTestId('sweep-generation-text').allTextContents();
    const cli = JSON.parse(
      sightline([
        'generate',
        '--project',
        projectDir,
        '--model',
        'llama',
        '--prompt',
        want.prompts[2].text,
        '--tokens',
        '20',
        '--json',
      ]),
    ) as { text: string };
    expect(texts[1]).toBe(cli.text);

    // Both sweeps are listed; the first one (the current prompt's) opens with its one prompt.
    const options = page.getByTestId('sweep-pick').locator('option');
    await expect.poll(() => options.count()).toBe(3);
    const first = await options.nth(2).getAttribute('value');
    await page.getByTestId('sweep-pick').selectOption(first!);
    await expect.poll(() => page.getByTestId('sweep-generation').count()).toBe(1);
    expect(await page.getByTestId('sweep-generation-text').textContent()).toBe(plainText);
  });

  it('clamps an SAE feature from the page, greedy then sampled, as `sightline generate --method clamp` prints it, with its KL', async () => {
    const clamp = ['--method', 'clamp', '--sae', 'sae16', '--feature', '5', '--layer', String(layer), '--k', '20'];
    const cliClamp = generateJson('--greedy', ...clamp, '--positions', 'all');
    const sampling = ['--temperature', '1.5', '--top-p', '0.95', '--seed', '7'];
    const cliSampledPlain = generateJson(...sampling);
    const cliSampledClamp = generateJson(...sampling, ...clamp, '--positions', 'all');
    expect(cliClamp.text).not.toBe(plainText);
    expect(cliSampledPlain.text).not.toBe(plainText);

    await page.goto(`${served.researcherUrl}#/steer`);
    await expect.poll(() => page.getByTestId('steer-model').inputValue()).toBe('llama');
    await page.getByTestId('steer-method').selectOption('clamp');
    await expect.poll(() => page.getByTestId('steer-sae').inputValue()).toBe('sae16');
    expect(await page.getByTestId('steer-vector').count()).toBe(0);
    await page.getByTestId('steer-feature').fill('16');
    await expect.poll(() => page.getByTestId('steer-blocked').textContent()).toContain('16 features');
    expect(await page.getByTestId('steer-generate').isDisabled()).toBe(true);
    await page.getByTestId('steer-feature').fill('5');
    await page.getByTestId('steer-layer').fill(String(layer));
    await page.getByTestId('steer-k').fill('20');
    await page.getByTestId('steer-positions').selectOption('all');
    await page.getByTestId('steer-tokens').fill('20');
    await page.getByTestId('steer-prompt').fill(prompt);
    await page.getByTestId('steer-generate').click();
    await expect.poll(() => page.getByTestId('steer-status').textContent(), { timeout: 60_000 }).toMatch(/^\s*Done/);
    expect(await page.getByTestId('steer-steered').textContent()).toBe(cliClamp.text);
    expect(await page.getByTestId('steer-baseline').textContent()).toBe(plainText);
    const shownKl = Number(await page.getByTestId('steer-kl').getAttribute('data-kl'));
    expect(shownKl).toBeCloseTo(cliClamp.kl!, 5);
    expect(await page.getByTestId('steer-kl').textContent()).toBe(`KL ${cliClamp.kl!.toPrecision(3)} nats`);

    // Sampled on seed 7: the k = 0 twin draws from the same seed, so both columns are the CLI's.
    await page.getByTestId('steer-sampled').check();
    await page.getByTestId('steer-temperature').fill('1.5');
    await page.getByTestId('steer-top-p').fill('0.95');
    await page.getByTestId('steer-seed').fill('7');
    await page.getByTestId('steer-generate').click();
    await expect.poll(() => page.getByTestId('steer-status').textContent(), { timeout: 60_000 }).toContain('seed 7');
    expect(await page.getByTestId('steer-baseline').textContent()).toBe(cliSampledPlain.text);
    expect(await page.getByTestId('steer-steered').textContent()).toBe(cliSampledClamp.text);

    // The same settings as a sweep (k = -4 and 20): each generation shows its KL; k = 20 is the answer above.
    await page.getByTestId('sweep-k-from').fill('-4');
    await page.getByTestId('sweep-k-to').fill('20');
    await page.getByTestId('sweep-k-count').fill('2');
    await page.getByTestId('sweep-source-current').check();
    await page.getByTestId('sweep-start').click();
    await expect.poll(() => page.getByTestId('sweep-job').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await page.getByTestId('sweep-k-slider').fill('1');
    expect(await page.getByTestId('sweep-k-value').textContent()).toBe('k = 20');
    expect(await page.getByTestId('sweep-generation-text').textContent()).toBe(cliSampledClamp.text);
    const sweepKl = Number(await page.getByTestId('sweep-generation-kl').getAttribute('data-kl'));
    expect(sweepKl).toBeCloseTo(cliSampledClamp.kl!, 5);
    expect(await page.getByTestId('sweep-generation-kl').textContent()).toContain('KL ');
    const options = await page.getByTestId('sweep-pick').locator('option').allTextContents();
    expect(options.some((o) => o.includes('clamp sae16 feature 5') && o.includes('sampled (seed 7)'))).toBe(true);
  });
});
