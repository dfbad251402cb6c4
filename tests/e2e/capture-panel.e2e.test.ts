// The Probes page's "Capture activations" panel (issue 14) in Chromium against `sightline serve` (the
// built CLI), on a project with the tiny LLaVA-NeXT fixture: a class folder captured from the panel
// makes the same capture as `sightline capture` with the same settings in a second project (the same
// capture id, byte-identical shards, the same rows and documents per corpus, shown in the panel);
// "Probe these" ticks them in the probe form; a cancelled capture imports no corpus; refusals (a layer
// past the model's last as it is typed, a path that is not there, a taken corpus name) show one line
// naming the field or file. A screenshot at 1440×900. Expected values come from the CLI, never the page.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../engine/fixtures';
import { expectedVision, VISION_DIR } from '../vision/fixtures';
import { launchChromium, researcherApi, screenshot, serve, sightline, type Served } from './harness';

interface CaptureJson {
  captureId: string;
  folder: string;
  documents: number;
  corpora: { layer: number; corpus: string; rows: number; imported: boolean }[];
}
interface Overview {
  corpora: { name: string; documentCount: number; rows: number }[];
}

let dir: string;
let projectDir: string;
let classes: string;
let many: string;
let cli: CaptureJson;
let served: Served;
let browser: Browser;
let page: Page;

/** A folder with one subfolder per class, `count` copies of the fixture's images spread over them. */
function classFolder(name: string, count: number): string {
  const folder = path.join(dir, name);
  const files = (['square', 'tall', 'wide'] as const).map((n) =>
    path.join(VISION_DIR, expectedVision().images[n].file),
  );
  for (let i = 0; i < count; i++) {
    const label = ['cat', 'dog'][i % 2];
    fs.mkdirSync(path.join(folder, label), { recursive: true });
    fs.copyFileSync(files[i % files.length], path.join(folder, label, `${String(i).padStart(3, '0')}.png`));
  }
  return folder;
}

const shardBytes = (captureFolder: string, layer: number) =>
  fs
    .readdirSync(path.join(captureFolder, `L${layer}`))
    .filter((file) => file.endsWith('.safetensors'))
    .sort()
    .map((file) => fs.readFileSync(path.join(captureFolder, `L${layer}`, file)));

async function fillForm(p: Page, fields: { layers: string; images: string; corpus: string }) {
  await p.getByTestId('capture-layers').fill(fields.layers);
  await p.getByTestId('capture-images').fill(fields.images);
  await p.getByTestId('capture-corpus').fill(fields.corpus);
}

beforeAll(async () => {
  dir = tempDir();
  classes = classFolder('classes', 4);
  many = classFolder('many', 96);
  // The CLI's capture of the same folder, in a project of its own.
  const cliProject = path.join(dir, 'cli.sightline');
  sightline(['init', '--project', cliProject]);
  sightline(['import-model', '--project', cliProject, '--path', VISION_DIR, '--name', 'vision']);
  cli = JSON.parse(
    sightline([
      'capture',
      '--project',
      cliProject,
      '--model',
      'vision',
      '--layers',
      '1,2',
      '--images',
      classes,
      '--corpus',
      'cls',
      '--json',
    ]),
  ) as CaptureJson;
  projectDir = path.join(dir, 'capture.sightline');
  sightline(['init', '--project', projectDir]);
  sightline(['import-model', '--project', projectDir, '--path', VISION_DIR, '--name', 'vision']);
  served = await serve(projectDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the Capture activations panel', () => {
  it('checks the layers against the model as they are typed', async () => {
    await page.goto(`${served.researcherUrl}#/probes`);
    // A project with a model and no corpus opens the panel: capture is the first step.
    await expect.poll(() => page.getByTestId('capture-card').getAttribute('open')).not.toBeNull();
    expect(await page.getByTestId('capture-model').inputValue()).toBe('vision');
    expect(await page.getByTestId('capture-prompt').inputValue()).toBe('<image>\nWhat is shown in this image?');
    await page.getByTestId('capture-layers').fill('1,3');
    expect(await page.getByTestId('capture-layers-error').textContent()).toBe(
      "Layers: 3 is past the model's last layer, 2 (it has 3).",
    );
    await page.getByTestId('capture-layers').fill('1,2');
    expect(await page.getByTestId('capture-layers-error').count()).toBe(0);
  });

  it('captures a class folder: the same capture, rows and documents as `sightline capture`', async () => {
    await fillForm(page, { layers: '2, 1', images: classes, corpus: 'cls' });
    await page.getByTestId('capture-start').click();
    const done = page.getByTestId('capture-done');
    await done.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('capture-job').getAttribute('data-state')).toBe('done');
    const shown = await page.getByTestId('captured-corpus').evaluateAll((rows) =>
      rows.map((row) => ({
        corpus: row.getAttribute('data-name'),
        documents: Number(row.querySelector('[data-testid=captured-documents]')?.textContent),
        rows: Number(row.querySelector('[data-testid=captured-rows]')?.textContent),
      })),
    );
    expect(shown).toEqual(cli.corpora.map((c) => ({ corpus: c.corpus, documents: cli.documents, rows: c.rows })));
    expect(cli.documents).toBe(4);
    // The same settings make the same capture: its id, and every layer's shards byte for byte.
    const ours = path.join(projectDir, 'activations', `capture-${cli.captureId}`);
    for (const { layer } of cli.corpora) expect(shardBytes(ours, layer)).toEqual(shardBytes(cli.folder, layer));
    const overview = await researcherApi(served)<Overview>('project.overview', {});
    expect(overview.corpora.map((c) => [c.name, c.documentCount, c.rows])).toEqual(
      cli.corpora.map((c) => [c.corpus, cli.documents, c.rows]),
    );
    const shot = await screenshot(page, 'capture-panel-1440');
    expect(shot.colours).toBeGreaterThan(50);
  });

  it('"Probe these" ticks the captured corpora in the probe form', async () => {
    await page.getByTestId('capture-probe').click();
    await expect.poll(() => page.getByTestId('probe-run-card').getAttribute('open')).not.toBeNull();
    const ticked = await page
      .getByTestId('probe-corpus')
      .evaluateAll((boxes) => (boxes as HTMLInputElement[]).filter((box) => box.checked).map((box) => box.value));
    expect(ticked).toEqual(cli.corpora.map((c) => c.corpus));
  });

  it('refuses a path that is not there and a taken corpus name, each in one line', async () => {
    const missing = path.join(dir, 'nowhere');
    await fillForm(page, { layers: '1', images: missing, corpus: 'other' });
    await page.getByTestId('capture-start').click();
    const error = page.getByTestId('capture-error');
    await expect
      .poll(() => error.textContent())
      .toBe(`--images ${missing}: no such folder, image or CSV file (not_found)`);
    // Another folder under a name the first capture took.
    await fillForm(page, { layers: '1', images: many, corpus: 'cls' });
    await page.getByTestId('capture-start').click();
    await expect
      .poll(() => error.textContent())
      .toBe('a corpus named "cls-L1" is already in this project; pass --corpus to choose another name (conflict)');
    expect(await page.getByTestId('capture-job').count()).toBe(0);
  });

  it('cancels a capture: no corpus is imported', async () => {
    const api = researcherApi(served);
    const before = (await api<Overview>('project.overview', {})).corpora.map((c) => c.name);
    await fillForm(page, { layers: '1,2', images: many, corpus: 'many' });
    await page.getByTestId('capture-start').click();
    await page.getByTestId('capture-cancel').click();
    await expect
      .poll(() => page.getByTestId('capture-job').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('cancelled');
    expect(await page.getByTestId('capture-done').count()).toBe(0);
    expect((await api<Overview>('project.overview', {})).corpora.map((c) => c.name)).toEqual(before);
    const [job] = await api<{ kind: string; state: string; done: number; total: number }[]>('jobs.list', { limit: 1 });
    expect(job).toMatchObject({ kind: 'capture', state: 'cancelled', total: 96 });
    expect(job.done).toBeLessThan(96);
  });

  it('fits a phone: nothing scrolls sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${served.researcherUrl}#/probes`);
    await phone.getByTestId('capture-card').locator('summary').click();
    await phone.getByTestId('capture-images').waitFor();
    const overflow = await phone.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await phone.close();
  });
});
