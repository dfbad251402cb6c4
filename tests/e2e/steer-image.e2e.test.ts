// The Steer page with an image (issue 14) in Chromium against `sightline serve` (the built CLI) on a
// project with the tiny LLaVA-NeXT fixture and its steering vector: the image path typed, its
// thumbnail (encoded by the server) and its number of prompt positions shown; Generate fills the k = 0
// and steered columns with what `sightline generate --image` prints for the same settings; a path that
// is not an image is refused by name and shows nothing; the current prompt's sweep takes the chosen
// image (as `sweep --images FILE` does); a `sweep --images` reopened from the list shows each row's image. A screenshot at 1440×900.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyBytes, tempDir } from '../engine/fixtures';
import { expectedVision, VISION_DIR } from '../vision/fixtures';
import { launchChromium, screenshot, serve, sightline, type Served } from './harness';

const want = expectedVision();
const image = want.images.tall;
const imageFile = path.join(VISION_DIR, image.file);
const { layer, k } = want.steer;
let dir: string;
let projectDir: string;
let served: Served;
let browser: Browser;
let page: Page;
let plainText: string;
let steeredText: string;

/** `sightline generate --image --json` on the page's prompt and 20 greedy tokens, with `extra`. */
function generateText(...extra: string[]): string {
  const args = ['generate', '--project', projectDir, '--model', 'vision', '--prompt', want.prompt, '--tokens', '20'];
  const out = sightline([...args, '--greedy', '--image', imageFile, ...extra, '--json']);
  return (JSON.parse(out) as { text: string }).text;
}

/** The page's layer, length and prompt, and the image chosen by its path: shown with its positions. */
async function chooseImage(tokens: number): Promise<void> {
  await page.getByTestId('steer-layer').fill(String(layer));
  await page.getByTestId('steer-tokens').fill(String(tokens));
  await page.getByTestId('steer-prompt').fill(want.prompt);
  await page.getByTestId('steer-image-path').fill(imageFile);
  await page.getByTestId('steer-image-path').press('Enter');
  await expect
    .poll(() => page.getByTestId('steer-image-positions').textContent())
    .toBe(`${image.image_positions} positions`);
}

beforeAll(async () => {
  dir = tempDir();
  projectDir = path.join(dir, 'steer-image.sightline');
  const vectorFile = path.join(dir, 'v.npy');
  const v = Float32Array.from(want.steer.vector);
  fs.writeFileSync(vectorFile, npyBytes(v, [v.length]));
  sightline(['init', '--project', projectDir]);
  sightline(['import-model', '--project', projectDir, '--path', VISION_DIR, '--name', 'vision']);
  sightline(['vector', 'import', '--project', projectDir, '--path', vectorFile, '--name', 'v']);
  plainText = generateText();
  steeredText = generateText('--vector', 'v', '--layer', String(layer), '--k', String(k), '--positions', 'prompt');
  served = await serve(projectDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the Steer page with an image', () => {
  it('shows the image and its positions, and generates both answers as `generate --image` prints them', async () => {
    expect(steeredText).not.toBe(plainText);
    await page.goto(`${served.researcherUrl}#/steer`);
    await expect.poll(() => page.getByTestId('steer-model').inputValue()).toBe('vision');
    await page.getByTestId('steer-k').fill(String(k));
    await chooseImage(20);
    expect(await page.getByTestId('steer-image-size').textContent()).toBe(`${image.width} × ${image.height}`);
    // the thumbnail is a picture the browser decoded, not a broken link
    const thumb = page.getByTestId('steer-image-thumb');
    expect(await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await thumb.getAttribute('src')).toMatch(/^data:image\/png;base64,/);

    await page.getByTestId('steer-generate').click();
    await expect.poll(() => page.getByTestId('steer-status').textContent(), { timeout: 60_000 }).toMatch(/^\s*Done/);
    expect(await page.getByTestId('steer-baseline').textContent()).toBe(plainText);
    expect(await page.getByTestId('steer-steered').textContent()).toBe(steeredText);
    expect(await page.getByTestId('steer-status').textContent()).toContain(`image: ${image.image_positions} positions`);
    const shot = await screenshot(page, 'steer-image-1440x900');
    expect(shot.colours).toBeGreaterThan(50);
  });

  it('sweeps the current prompt over the chosen image: the sweep `sweep --images FILE` makes, with its classes', async () => {
    await chooseImage(4);
    await page.getByTestId('sweep-source-current').check();
    // The page says the image goes with the sweep; it no longer warns that it would be left out.
    await expect.poll(() => page.getByTestId('sweep-with-image').textContent()).toContain(path.basename(imageFile));
    expect(await page.getByTestId('sweep-no-image').count()).toBe(0);
    await page.getByTestId('sweep-k-from').fill('0');
    await page.getByTestId('sweep-k-to').fill(String(k));
    await page.getByTestId('sweep-k-count').fill('2');
    await page.getByTestId('sweep-source-class').fill('tower');
    await page.getByTestId('sweep-target-class').fill('fish');
    await page.getByTestId('sweep-distractors').fill('volcano; school bus');
    await page.getByTestId('sweep-start').click();
    await expect.poll(() => page.getByTestId('sweep-job').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await page.getByTestId('sweep-progress').textContent()).toContain('2 / 2');
    // Its one row is the image, stored in the project's media and shown beside the answers.
    const picture = page.getByTestId('sweep-generation-image');
    await expect.poll(() => picture.count()).toBe(1);
    expect(await picture.getAttribute('alt')).toBe(path.basename(imageFile));
    await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true);
    const sweepId = await page.getByTestId('sweep-pick').inputValue();
    expect(sweepId).not.toBe('');

    // `sightline sweep --images FILE` with the same settings is the same sweep (the same id, nothing
    // left to do), so the page sent the image, the prompt and the classes.
    const sweepFromCli = (sourceClass: string) =>
      JSON.parse(
        sightline([
          ...['sweep', '--project', projectDir, '--model', 'vision', '--vector', 'v', '--layer', String(layer)],
          ...['--k', `0,${k}`, '--images', imageFile, '--prompt', want.prompt, '--tokens', '4'],
          ...['--source-class', sourceClass, '--target-class', 'fish', '--distractors', 'volcano;school bus', '--json'],
        ]),
      ) as { sweepId: string; generated: number; skipped: number };
    expect(sweepFromCli('tower')).toMatchObject({ sweepId, generated: 0, skipped: 2 });
    // ...while another source class makes another sweep: the id covers the classes.
    expect(sweepFromCli('bridge').sweepId).not.toBe(sweepId);
  });

  it("reopens a `sweep --images` from the list with each row's image, served from the project's media", async () => {
    const images = path.join(dir, 'images');
    for (const name of ['square', 'tall'] as const) {
      fs.mkdirSync(path.join(images, name), { recursive: true });
      fs.copyFileSync(path.join(VISION_DIR, `${name}.png`), path.join(images, name, `${name}.png`));
    }
    const sweep = JSON.parse(
      sightline([
        ...['sweep', '--project', projectDir, '--model', 'vision', '--vector', 'v', '--layer', String(layer)],
        ...['--k', `0,${k}`, '--images', images, '--prompt', want.prompt, '--tokens', '4', '--json'],
      ]),
    ) as { sweepId: string };
    await page.reload();
    const option = page.getByTestId('sweep-pick').locator(`option[value="${sweep.sweepId}"]`);
    await expect.poll(() => option.textContent()).toContain('2 images');
    await page.getByTestId('sweep-pick').selectOption(sweep.sweepId);
    await expect.poll(() => page.getByTestId('sweep-generation').count()).toBe(2);
    const pictures = page.getByTestId('sweep-generation-image');
    expect(await pictures.evaluateAll((all) => all.map((img) => (img as HTMLImageElement).alt))).toEqual([
      'square/square.png',
      'tall/tall.png',
    ]);
    await expect
      .poll(() => pictures.evaluateAll((all) => all.every((img) => (img as HTMLImageElement).naturalWidth > 0)))
      .toBe(true);

    // The same sweep started from the page (images, the page's prompt): the same sweep, already done.
    await page.getByTestId('steer-layer').fill(String(layer));
    await page.getByTestId('steer-tokens').fill('4');
    await page.getByTestId('steer-prompt').fill(want.prompt);
    await page.getByTestId('sweep-k-from').fill('0');
    await page.getByTestId('sweep-k-to').fill(String(k));
    await page.getByTestId('sweep-k-count').fill('2');
    await page.getByTestId('sweep-source-images').check();
    await page.getByTestId('sweep-images-path').fill(images);
    await page.getByTestId('sweep-start').click();
    await expect.poll(() => page.getByTestId('sweep-job').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await page.getByTestId('sweep-progress').textContent()).toContain('4 / 4');
    await expect.poll(() => page.getByTestId('sweep-generation-image').count()).toBe(2);
    const listed = await page.getByTestId('sweep-pick').locator('option').allTextContents();
    expect(listed.filter((text) => text.includes(sweep.sweepId))).toHaveLength(1);
  });

  it('refuses a path that is not an image, by name, and shows no thumbnail', async () => {
    const notImage = path.join(dir, 'notes.png');
    fs.writeFileSync(notImage, 'not an image');
    await page.getByTestId('steer-prompt').fill(want.prompt);
    await page.getByTestId('steer-image-path').fill(notImage);
    await page.getByTestId('steer-image-path').press('Enter');
    await expect.poll(() => page.getByTestId('steer-image-error').textContent()).toMatch(/notes\.png/);
    expect(await page.getByTestId('steer-image-thumb').count()).toBe(0);
    // Generate with the bad path stays on the refusal: nothing is generated without the image
    const generated: string[] = [];
    page.on('request', (request) => request.url().endsWith('/api/steer.generate') && generated.push(request.url()));
    await page.getByTestId('steer-generate').click();
    await expect.poll(() => page.getByTestId('steer-image-error').textContent()).toMatch(/notes\.png/);
    expect(generated).toEqual([]);
    await page.getByTestId('steer-image-clear').click();
    await expect.poll(() => page.getByTestId('steer-image-path').inputValue()).toBe('');
    expect(await page.getByTestId('steer-image-error').count()).toBe(0);
  });
});
