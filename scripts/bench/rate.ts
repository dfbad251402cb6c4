// bench:rate — in Chromium, on a campaign of 100,000 items with overlap 3: the time from the
// keypress that submits to the next item painted, over 500 submissions (p50/p95/p99).
// Measured inside the page: a capture-phase keydown listener stamps Enter; a MutationObserver sees
// the next item's assignment id land in the DOM; the next animation frame then renders it, and a
// message posted from that frame's callback is handled after the frame's style, layout and paint, so
// its stamp is "painted" (a bare rAF callback runs before them). The submit itself is durable
// (synchronous=FULL) before the next item shows.
import { launchChromium, serve } from '../../tests/e2e/harness';
import { openProject } from '../../src-main/project/project';
import { findCampaignByName } from '../../src-main/store/campaigns';
import { insertRater } from '../../src-main/store/raters';
import { figure, machine, percentile, tempProjectDir } from './common';
import { seedConceptCampaign } from './seed-campaign';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 500);
const shape = `${ITEMS} items, overlap 3, ${SUBMISSIONS} submissions`;

const dir = tempProjectDir('rate');
const seeded = performance.now();
seedConceptCampaign(dir, 'rate', ITEMS, 3);
const project = openProject(dir);
const campaign = findCampaignByName(project.db, 'rate');
const token = insertRater(project.db, campaign.id, 'bench', campaign.seed).token;
project.close();
console.log(`bench rate: seeded ${ITEMS} items in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

const served = await serve(dir);
const base = served.url;

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${base}/rate?token=${token}`);
  await page.getByTestId('rater-item').waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { __pressedAt: number | null; __latencies: number[]; __inDom: number[] };
    w.__latencies = [];
    w.__inDom = [];
    w.__pressedAt = null;
    document.addEventListener('keydown', (event) => event.key === 'Enter' && (w.__pressedAt = performance.now()), {
      capture: true,
    });
    let shown = document.querySelector('[data-testid="rater-item"]')?.getAttribute('data-assignment-id');
    new MutationObserver(() => {
      const id = document.querySelector('[data-testid="rater-item"]')?.getAttribute('data-assignment-id');
      if (id && id !== shown && w.__pressedAt !== null) {
        const pressedAt = w.__pressedAt;
        w.__pressedAt = null;
        shown = id;
        w.__inDom.push(performance.now() - pressedAt);
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => w.__latencies.push(performance.now() - pressedAt);
          channel.port2.postMessage(null);
        });
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-assignment-id'],
    });
  });
  for (let n = 0; n < SUBMISSIONS; n++) {
    await page.keyboard.press('1');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (count) => (window as unknown as { __latencies: number[] }).__latencies.length >= count,
      n + 1,
      { timeout: 10_000 },
    );
  }
  const latencies = (
    (await page.evaluate(() => (window as unknown as { __latencies: number[] }).__latencies)) as number[]
  ).sort((a, b) => a - b);
  const inDom = ((await page.evaluate(() => (window as unknown as { __inDom: number[] }).__inDom)) as number[]).sort(
    (a, b) => a - b,
  );
  console.log(`bench rate: machine ${machine()}, Chromium headless`);
  figure('rate', 'submit keypress to next item painted p50', percentile(latencies, 50), 'ms', shape);
  figure('rate', 'submit keypress to next item painted p95', percentile(latencies, 95), 'ms', shape);
  figure('rate', 'submit keypress to next item painted p99', percentile(latencies, 99), 'ms', shape);
  // The part before the browser's frame: the submit's round trip and the page's update of the DOM.
  figure('rate', 'submit keypress to next item in the DOM p50', percentile(inDom, 50), 'ms', shape);
  figure('rate', 'submit keypress to next item in the DOM p95', percentile(inDom, 95), 'ms', shape);
} finally {
  await browser.close();
  await served.stop();
}
