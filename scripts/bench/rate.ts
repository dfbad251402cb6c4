// bench:rate — in Chromium, on a campaign of 100,000 items with overlap 3: the time from the
// keypress that submits to the next item painted, over 500 submissions (p50/p95/p99).
// Measured inside the page: a capture-phase keydown listener stamps Enter; a MutationObserver sees
// the next item's assignment id land in the DOM; the next animation frame then renders it, and a
// message posted from that frame's callback is handled after the frame's style, layout and paint, so
// its stamp is "painted" (a bare rAF callback runs before them). The submit itself is durable
// (synchronous=FULL) before the next item shows.
import os from 'node:os';
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
    const w = window as unknown as {
      __pressedAt: number | null;
      __latencies: number[];
      __inDom: number[];
      __steps: Record<string, number>[];
      __requests: PerformanceResourceTiming[];
    };
    w.__latencies = [];
    w.__inDom = [];
    w.__steps = [];
    w.__pressedAt = null;
    // The profile: each API call's resource timing (request sent, first byte, last byte), kept whole.
    w.__requests = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__requests.push(entry as PerformanceResourceTiming);
    }).observe({ type: 'resource' });
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
        const domAt = performance.now();
        w.__inDom.push(domAt - pressedAt);
        requestAnimationFrame(() => {
          const frameAt = performance.now();
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            const paintedAt = performance.now();
            w.__latencies.push(paintedAt - pressedAt);
            w.__steps.push({ pressedAt, domAt, frameAt, paintedAt });
          };
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
  console.log(`bench rate: machine ${machine()}, Chromium headless, load average ${os.loadavg()[0].toFixed(1)}`);
  profile(
    (await page.evaluate(
      () => (window as unknown as { __steps: Record<string, number>[] }).__steps,
    )) as unknown as Steps[],
    (await page.evaluate(() =>
      (window as unknown as { __requests: PerformanceResourceTiming[] }).__requests.map((r) => ({
        name: new URL(r.name).pathname,
        startTime: r.startTime,
        requestStart: r.requestStart,
        responseStart: r.responseStart,
        responseEnd: r.responseEnd,
      })),
    )) as Request[],
  );
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

interface Steps {
  pressedAt: number;
  domAt: number;
  frameAt: number;
  paintedAt: number;
}
interface Request {
  name: string;
  startTime: number;
  requestStart: number;
  responseStart: number;
  responseEnd: number;
}

/**
 * Where one submission's time goes (p50 / p95 of each step): the page's work before the submit
 * request, the server's answer (handler and commit, loopback included), the page's work from the
 * answer to the next item in the DOM, the wait for the next frame, and that frame's style, layout
 * and paint. Also: how often the prefetch (rater.next) was still being answered while the frame
 * painted, which is the server competing with the browser for the same cores.
 */
function profile(steps: Steps[], requests: Request[]): void {
  const parts: Record<string, number[]> = {
    'keypress to submit sent': [],
    'submit sent to answered (server)': [],
    'answer to next item in the DOM': [],
    'DOM to animation frame': [],
    'animation frame to painted': [],
  };
  let prefetchDuringFrame = 0;
  let submitBehindPrefetch = 0;
  for (const step of steps) {
    const submit = requests.find(
      (r) => r.name.endsWith('/rater.submit') && r.startTime >= step.pressedAt && r.responseEnd <= step.domAt,
    );
    if (!submit) continue;
    parts['keypress to submit sent'].push(submit.requestStart - step.pressedAt);
    parts['submit sent to answered (server)'].push(submit.responseEnd - submit.requestStart);
    parts['answer to next item in the DOM'].push(step.domAt - submit.responseEnd);
    parts['DOM to animation frame'].push(step.frameAt - step.domAt);
    parts['animation frame to painted'].push(step.paintedAt - step.frameAt);
    const next = requests.find((r) => r.name.endsWith('/rater.next') && r.startTime >= submit.responseEnd);
    if (next && next.startTime < step.frameAt && next.responseEnd > step.frameAt) prefetchDuringFrame++;
    // The server answers one call at a time: a submit sent while the last prefetch is still being answered waits for it.
    const before = requests.filter((r) => r.name.endsWith('/rater.next') && r.startTime < submit.requestStart).at(-1);
    if (before && before.responseEnd > submit.requestStart) submitBehindPrefetch++;
  }
  for (const [name, values] of Object.entries(parts)) {
    values.sort((a, b) => a - b);
    console.log(
      `bench rate: profile ${name}: p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms (${values.length} submissions)`,
    );
  }
  console.log(
    `bench rate: profile prefetch in flight while the next item's frame rendered: ${prefetchDuringFrame} of ${steps.length}; submit sent while the previous prefetch was still being answered: ${submitBehindPrefetch}`,
  );
}
