// The Overview page's import panel in Chromium (issue 12): a researcher in a browser types the path of
// a small SAE and then of a small activations set, each import runs as a job through the contract
// (imports.start), and the SAE and corpus tables list them when it ends. A path that is not there, and
// a sidecar whose d_in disagrees with its shards, each show one error naming the file and field.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/factories';
import { D_IN, D_SAE, writeSyntheticCorpus, type SyntheticCorpus } from '../mining/synthetic';
import { launchChromium, serve, sightline, type Served } from './harness';

let browser: Browser;
let served: Served;
let corpus: SyntheticCorpus;

beforeAll(async () => {
  const projectDir = path.join(tempDir('sightline-import-panel-'), 'study.sightline');
  sightline(['init', '--project', projectDir]);
  corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'));
  [browser, served] = await Promise.all([launchChromium(), serve(projectDir)]);
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function importByPath(page: Page, kind: 'sae' | 'activations', file: string, name: string): Promise<void> {
  await page.getByTestId(`import-kind-${kind}`).check();
  await page.getByTestId('import-path').fill(file);
  await page.getByTestId('import-name').fill(name);
  await page.getByTestId('import-start').click();
}

describe('Overview import panel', () => {
  it('imports an SAE and activations by path, lists them, and names the file on bad input', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${served.researcherUrl}#/overview`);
      await expect.poll(() => page.getByTestId('import-panel').isVisible(), { timeout: 15_000 }).toBe(true);
      // A browser has no desktop picker: the path field only.
      expect(await page.getByTestId('import-pick-folder').count()).toBe(0);

      await importByPath(page, 'sae', corpus.saeDir, 'synthetic sae');
      const saeRow = page.locator('[data-testid="sae-row"][data-sae="synthetic sae"]');
      await saeRow.waitFor({ timeout: 30_000 });
      const cells = await saeRow.locator('td').allInnerTexts();
      expect(cells.slice(3, 5)).toEqual([D_IN.toLocaleString('en-US'), D_SAE.toLocaleString('en-US')]);
      expect(await page.getByTestId('import-done').innerText()).toContain('imported SAE synthetic sae');

      await importByPath(page, 'activations', corpus.sidecar, 'synthetic corpus');
      const documents = JSON.parse(fs.readFileSync(corpus.sidecar, 'utf8')).documents.length as number;
      const corpusRow = page.getByTestId('corpus-table').locator('tr', { hasText: 'synthetic corpus' });
      await corpusRow.waitFor({ timeout: 30_000 });
      expect(await corpusRow.locator('td').nth(3).innerText()).toBe(documents.toLocaleString('en-US'));
      // Its rows: every activation row of the synthetic shards.
      expect(await corpusRow.locator('td').nth(4).innerText()).toBe(corpus.rows.length.toLocaleString('en-US'));

      // Not there: refused at once, naming the path.
      const missing = path.join(path.dirname(corpus.sidecar), 'no-such.json');
      await importByPath(page, 'activations', missing, 'missing');
      await expect
        .poll(() => page.getByTestId('import-error').innerText(), { timeout: 15_000 })
        .toContain(`${missing}: no such file or folder`);

      // There but wrong: the job fails and says which file and field, and nothing is listed.
      const sidecar = JSON.parse(fs.readFileSync(corpus.sidecar, 'utf8'));
      const bad = path.join(path.dirname(corpus.sidecar), 'bad.json');
      fs.writeFileSync(bad, JSON.stringify({ ...sidecar, d_in: D_IN + 1 }));
      await importByPath(page, 'activations', bad, 'bad corpus');
      await expect
        .poll(() => page.getByTestId('import-job').getAttribute('data-state'), { timeout: 30_000 })
        .toBe('failed');
      expect(await page.getByTestId('import-error').innerText()).toMatch(
        new RegExp(`shape: expected \\[n_tokens, ${D_IN + 1}\\] \\(bad\\.json says d_in ${D_IN + 1}\\)`),
      );
      expect(await page.getByTestId('corpus-table').locator('tr', { hasText: 'bad corpus' }).count()).toBe(0);
    } finally {
      await page.close();
    }
  });
});
