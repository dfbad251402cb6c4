// The Probes page (issue 14) in Chromium against `sightline serve` (the built CLI): a project with two
// labelled corpora (layers 5 and 20; at 20 each class mean lies along one decoder row of an imported,
// mined SAE) and a `sightline probe` run. The page lists the run, draws the decodability curve with a
// row per layer whose accuracies are what `probe --json` printed, lists the run's twelve vectors, exports
// one as .npy into the project (read back by `vector import` with the same sha256), and shows a
// vector's top SAE features exactly as `sightline vector features --json` ranks them, the top one
// linking to its feature page. A run started from the page's form (a job) opens when it ends, with the
// same accuracies as the CLI's run of the same settings. Photographed at 1440×900 and at phone width,
// where nothing scrolls sideways. Expected values come from the CLI, never from the page.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randn, randomSae, rng, tempDir, writeSaeLensDir } from '../engine/fixtures';
import { writeSidecarCorpus } from '../helpers/sidecar-corpus';
import { launchChromium, researcherApi, screenshot, serve, sightline, type Served } from './harness';

const D = 64;
const CLASSES = ['goldfish', 'strawberry', 'volcano'];
/** The decoder row each class mean lies along at layer 20. */
const CLASS_ROWS = [3, 9, 12];
const PER_CLASS = 12;
let dir: string;
let projectDir: string;
let served: Served;
let browser: Browser;
let page: Page;

interface ProbeRun {
  runId: number;
  layers: { layer: number; logistic: { validationAccuracy: number; trainAccuracy: number; chance: number } }[];
  vectors: { name: string; sha256: string }[];
}
let probe: ProbeRun;

/** A corpus at `layer`: two text rows per document around its class mean (scale × unit decoder row). */
function writeCorpus(sae: { W_dec: Float32Array }, layer: number, scale: number, seed: number): string {
  const folder = path.join(dir, `syn-L${layer}`);
  const random = rng(seed);
  const rows: number[] = [];
  const documents: unknown[] = [];
  const segments: unknown[] = [];
  CLASSES.forEach((cls, c) => {
    const direction = sae.W_dec.subarray(CLASS_ROWS[c] * D, (CLASS_ROWS[c] + 1) * D);
    const norm = Math.hypot(...direction);
    for (let i = 0; i < PER_CLASS; i++) {
      const noise = randn(2 * D, random, 0.5);
      for (let r = 0; r < 2; r++)
        for (let k = 0; k < D; k++) rows.push((scale * direction[k]) / norm + noise[r * D + k]);
      const id = `${cls}/${i}`;
      documents.push({ id, tokens: [cls, 'photo'], meta: { label: cls } });
      segments.push({ document: id, kind: 'text', start: 0, count: 2 });
    }
  });
  return writeSidecarCorpus(folder, { dIn: D, layer, rows, documents, segments });
}

const json = <T>(args: string[]): T => JSON.parse(sightline([...args, '--json'])) as T;
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const vectorNames = (p: Page) =>
  p.getByTestId('probe-vector').evaluateAll((items) => items.map((item) => item.getAttribute('data-name')));
const horizontalOverflow = (p: Page) =>
  p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

beforeAll(async () => {
  dir = tempDir();
  projectDir = path.join(dir, 'probes.sightline');
  sightline(['init', '--project', projectDir]);
  const sae = randomSae('relu', D, 48, 5);
  sightline([
    'import-sae',
    '--project',
    projectDir,
    '--path',
    writeSaeLensDir(path.join(dir, 'sae'), sae),
    '--name',
    'sae-L20',
  ]);
  for (const [layer, scale, seed] of [
    [5, 0.3, 1],
    [20, 3, 2],
  ])
    sightline([
      'import-activations',
      '--project',
      projectDir,
      '--path',
      writeCorpus(sae, layer, scale, seed),
      '--corpus',
      `syn-L${layer}`,
    ]);
  sightline(['mine', '--project', projectDir, '--sae', 'sae-L20', '--corpus', 'syn-L20']);
  probe = json<ProbeRun>([
    'probe',
    '--project',
    projectDir,
    '--corpus',
    'syn-L5,syn-L20',
    '--name',
    'syn',
    '--validation',
    '0.25',
  ]);
  served = await serve(projectDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the Probes page', () => {
  it('shows the run: accuracy by layer as `probe` printed it, the curve, and its vectors', async () => {
    await page.goto(`${served.researcherUrl}#/probes`);
    const nav = page.getByRole('link', { name: 'Probes' });
    await expect.poll(() => nav.getAttribute('aria-current')).toBe('page');
    await expect.poll(() => page.getByTestId('probe-layer-row').count()).toBe(2);
    expect(await page.getByTestId('probe-run').inputValue()).toBe(String(probe.runId));
    const validation = await page.getByTestId('probe-validation').allTextContents();
    expect(validation).toEqual(probe.layers.map((l) => percent(l.logistic.validationAccuracy)));
    const rows = await page.getByTestId('probe-layer-row').allTextContents();
    probe.layers.forEach((l, i) => {
      expect(rows[i]).toContain(percent(l.logistic.trainAccuracy));
      expect(rows[i]).toContain(percent(l.logistic.chance));
    });
    // The curve: one svg with validation, train and chance in its legend.
    const plot = page.getByTestId('probe-accuracy-plot');
    await expect.poll(() => plot.locator('svg').count()).toBeGreaterThan(0);
    expect(await plot.textContent()).toMatch(/validation.*train.*chance/s);
    // The vectors open at the best layer (the curve's peak); "all" lists every one.
    const best = probe.layers.reduce((a, b) => (b.logistic.validationAccuracy > a.logistic.validationAccuracy ? b : a));
    expect(await vectorNames(page)).toEqual(
      probe.vectors.filter((v) => v.name.startsWith(`syn-L${best.layer}:`)).map((v) => v.name),
    );
    await page.getByTestId('vector-layer').selectOption('all');
    const names = await vectorNames(page);
    expect(names).toEqual(probe.vectors.map((v) => v.name));
    expect(names).toHaveLength(2 * 3 * 2);
    await page.getByTestId('vector-search').fill('VOLC');
    expect(await vectorNames(page)).toEqual(probe.vectors.filter((v) => v.name.includes('volcano')).map((v) => v.name));
    await page.getByTestId('vector-search').fill('');
  });

  it('exports a vector as .npy into the project, the same values `vector import` reads back', async () => {
    const vector = probe.vectors.find((v) => v.name === 'syn-L20:goldfish->strawberry')!;
    const item = page.locator(`[data-testid=probe-vector][data-name="${vector.name}"]`);
    await item.getByTestId('export-npy').click();
    const note = item.getByTestId('export-note');
    await note.waitFor();
    const written = path.join(projectDir, 'exports', 'syn-L20_goldfish-_strawberry.npy');
    expect(await note.textContent()).toBe(`Wrote ${written}`);
    const back = json<{ sha256: string }>([
      'vector',
      'import',
      '--project',
      projectDir,
      '--path',
      written,
      '--name',
      'back',
    ]);
    expect(back.sha256).toBe(vector.sha256);
    // A second export of the same file is refused, not overwritten.
    await item.getByTestId('export-npy').click();
    await expect.poll(() => note.textContent()).toMatch(/exists/);
  });

  it("copies a CLI line that writes the vector where the page's Export .safetensors does", async () => {
    const vector = probe.vectors.find((v) => v.name === 'syn-L20:goldfish->volcano')!;
    const item = page.locator(`[data-testid=probe-vector][data-name="${vector.name}"]`);
    await page.evaluate(() => {
      const copied: string[] = [];
      (window as unknown as { copied: string[] }).copied = copied;
      navigator.clipboard.writeText = async (text: string) => void copied.push(text);
    });
    await item.getByTestId('copy-link').click();
    const [line] = await page.evaluate(() => (window as unknown as { copied: string[] }).copied);
    const written = path.join(projectDir, 'exports', 'syn-L20_goldfish-_volcano.safetensors');
    // The line names the exports folder in full: run from any folder (here the repository's), it writes there.
    const out = line
      .split(' ')
      .at(-1)!
      .replace(/^'(.*)'$/, '$1');
    expect(out).toBe(written);
    json(['vector', 'export', '--project', projectDir, '--name', vector.name, '--out', out]);
    await item.getByTestId('export-safetensors').click();
    await expect.poll(() => item.getByTestId('export-note').textContent()).toMatch(/exists/);
  });

  it("ranks a vector's SAE features as `vector features` does and links them to their pages", async () => {
    const name = 'syn-L20:goldfish->strawberry:unit';
    const cli = json<{ top: { feature: number }[]; bottom: { feature: number }[] }>([
      'vector',
      'features',
      '--project',
      projectDir,
      '--name',
      name,
      '--sae',
      'sae-L20',
      '--top',
      '5',
    ]);
    // μ(strawberry) − μ(goldfish) at layer 20 lies along row 9 minus row 3.
    expect(cli.top[0].feature).toBe(CLASS_ROWS[1]);
    expect(cli.bottom[0].feature).toBe(CLASS_ROWS[0]);
    await page.locator(`[data-testid=probe-vector][data-name="${name}"]`).getByTestId('vector-features-button').click();
    expect(await page.getByTestId('features-vector').inputValue()).toBe(name);
    expect(await page.getByTestId('features-sae').inputValue()).toBe('sae-L20');
    await page.getByTestId('features-top').fill('5');
    await page.getByTestId('features-find').click();
    const top = page.getByTestId('features-top-list').getByTestId('feature-match');
    await expect.poll(() => top.count()).toBe(5);
    const order = (list: string) =>
      page
        .getByTestId(list)
        .getByTestId('feature-match')
        .evaluateAll((items) => items.map((i) => Number(i.getAttribute('data-feature'))));
    expect(await order('features-top-list')).toEqual(cli.top.map((f) => f.feature));
    expect(await order('features-bottom-list')).toEqual(cli.bottom.map((f) => f.feature));

    const shot = await screenshot(page, 'probes-page-1440');
    expect(shot.colours).toBeGreaterThan(50);
    await page.screenshot({ path: path.join(path.dirname(shot.file), 'probes-page-1440-full.png'), fullPage: true });

    await top.first().getByRole('link').click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/feature/sae-L20/${CLASS_ROWS[1]}`);
  });

  it('runs a probe from the form as a job and opens it: the same accuracies as `sightline probe`', async () => {
    await page.goto(`${served.researcherUrl}#/probes`);
    await page.getByTestId('probe-run-card').locator('summary').click();
    await page.getByTestId('probe-start').click();
    expect(await page.getByRole('alert').textContent()).toBe('Tick at least one corpus.');
    for (const box of await page.getByTestId('probe-corpus').all()) await box.check();
    await page.getByTestId('probe-validation-share').fill('0.25');
    await page.getByTestId('probe-name').fill('form');
    await page.getByTestId('probe-start').click();
    await expect
      .poll(() => page.evaluate(() => location.hash), { timeout: 30_000 })
      .toBe(`#/probes/${probe.runId + 1}`);
    await expect.poll(() => page.getByTestId('probe-layer-row').count()).toBe(2);
    // Same corpora, labels, split and seed as the CLI's run: the same accuracy by layer.
    expect(await page.getByTestId('probe-validation').allTextContents()).toEqual(
      probe.layers.map((l) => percent(l.logistic.validationAccuracy)),
    );
    await page.getByTestId('vector-layer').selectOption('all');
    expect(await vectorNames(page)).toEqual(probe.vectors.map((v) => v.name.replace(/^syn-/, 'form-')));
    const listed = json<{ runId: number; jobId: number }[]>(['probe', 'list', '--project', projectDir]);
    expect(listed.map((r) => r.runId)).toEqual([probe.runId + 1, probe.runId]);
  });

  it('opens a run that ended before the form heard its job id (its events came first)', async () => {
    // A small probe ends in milliseconds: its job.progress events can reach the page before the answer
    // to probes.start. Held back here until the job is done, so that order is certain.
    const api = researcherApi(served);
    await page.route('**/api/probes.start', async (route) => {
      const response = await route.fetch();
      const { value } = (await response.json()) as { value: { jobId: number } };
      await expect
        .poll(
          async () =>
            (await api<{ id: number; state: string }[]>('jobs.list', {})).find((j) => j.id === value.jobId)?.state,
          {
            timeout: 30_000,
          },
        )
        .toBe('done');
      await route.fulfill({ response });
    });
    await page.goto(`${served.researcherUrl}#/probes`);
    await page.getByTestId('probe-run-card').locator('summary').click();
    for (const box of await page.getByTestId('probe-corpus').all()) await box.check();
    await page.getByTestId('probe-name').fill('late');
    await page.getByTestId('probe-start').click();
    await expect
      .poll(() => page.evaluate(() => location.hash), { timeout: 30_000 })
      .toBe(`#/probes/${probe.runId + 2}`);
    await page.unroute('**/api/probes.start');
  });

  it('fits a phone: nothing scrolls sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${served.researcherUrl}#/probes/${probe.runId}`);
    await expect.poll(() => phone.getByTestId('probe-vector').count()).toBeGreaterThan(0);
    await phone.getByTestId('vector-layer').selectOption('all');
    expect(await phone.getByTestId('probe-vector').count()).toBe(probe.vectors.length);
    await phone.getByTestId('probe-accuracy-plot').locator('svg').first().waitFor();
    await phone.getByTestId('features-find').click();
    await expect.poll(() => phone.getByTestId('feature-match').count()).toBeGreaterThan(0);
    expect(await horizontalOverflow(phone)).toBe(0);
    const shot = await screenshot(phone, 'probes-page-phone');
    expect(shot.colours).toBeGreaterThan(50);
    await phone.close();
  });
});
