// bench:lan — 50 simulated raters over HTTP on loopback against `sightline serve` (a separate
// process, as on a LAN), each fetching and submitting with no think time, for 60 s. Prints
// throughput and latency, then checks the invariants: no item past its overlap, no rater given an
// item twice, every acknowledged submit in the database. Bounded in count and time; loopback only.
import path from 'node:path';
import Database from 'better-sqlite3';
import { serve } from '../../tests/e2e/harness';
import { openProject } from '../../src-main/project/project';
import { findCampaignByName } from '../../src-main/store/campaigns';
import { insertRater } from '../../src-main/store/raters';
import { figure, machine, percentile, tempProjectDir } from './common';
import { seedConceptCampaign } from './seed-campaign';

const RATERS = Number(process.env.BENCH_RATERS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const ITEMS = 20_000;
const OVERLAP = 3;
const shape = `${RATERS} raters, ${SECONDS} s, ${ITEMS} items, overlap ${OVERLAP}`;

const dir = tempProjectDir('lan');
seedConceptCampaign(dir, 'lan', ITEMS, OVERLAP);
const setup = openProject(dir);
const campaign = findCampaignByName(setup.db, 'lan');
const tokens = Array.from(
  { length: RATERS },
  (_, index) => insertRater(setup.db, campaign.id, `rater-${index}`, campaign.seed).token,
);
setup.close();

const served = await serve(dir);
const base = served.url;

const latencies: number[] = [];
let errors = 0;
let conflicts = 0;
const acknowledged: number[] = [];
const deadline = Date.now() + SECONDS * 1000;

async function call(token: string, method: string, input: unknown): Promise<any> {
  const started = performance.now();
  const response = await fetch(`${base}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  });
  const body = await response.json();
  latencies.push(performance.now() - started);
  return body;
}

async function rater(token: string): Promise<void> {
  while (Date.now() < deadline) {
    const next = await call(token, 'rater.next', { count: 1 });
    if (!next.ok) errors++, await new Promise((r) => setTimeout(r, 10));
    const item = next.ok ? next.value.items[0] : undefined;
    if (!item) return;
    const submitted = await call(token, 'rater.submit', {
      assignmentId: item.assignmentId,
      answer: { concept: item.questions[0].options[0].value },
      activeMs: 1500,
    });
    if (submitted.ok) acknowledged.push(submitted.value.judgementId);
    else if (submitted.error.code === 'conflict') conflicts++;
    else errors++;
  }
}

const started = performance.now();
await Promise.all(tokens.map(rater));
const elapsed = (performance.now() - started) / 1000;
await served.stop();

const db = new Database(path.join(dir, 'project.sqlite'), { readonly: true });
const overOverlap = db
  .prepare(
    "SELECT COUNT(*) FROM (SELECT item_id FROM assignments WHERE status = 'submitted' GROUP BY item_id HAVING COUNT(*) > ?)",
  )
  .pluck()
  .get(OVERLAP) as number;
const seenTwice = db
  .prepare(
    'SELECT COUNT(*) FROM (SELECT item_id, rater_id FROM assignments GROUP BY item_id, rater_id HAVING COUNT(*) > 1)',
  )
  .pluck()
  .get() as number;
const stored = new Set(db.prepare("SELECT id FROM judgements WHERE action = 'submit'").pluck().all() as number[]);
const missing = acknowledged.filter((id) => !stored.has(id)).length;
db.close();

latencies.sort((a, b) => a - b);
console.log(`bench lan: machine ${machine()}`);
figure('lan', 'submits per second', acknowledged.length / elapsed, 'judgements/s', shape);
figure('lan', 'requests per second', latencies.length / elapsed, 'req/s', shape);
figure('lan', 'latency p50', percentile(latencies, 50), 'ms', shape);
figure('lan', 'latency p99', percentile(latencies, 99), 'ms', shape);
figure('lan', 'errors', errors, '', shape);
figure('lan', 'lease conflicts', conflicts, '', shape);
figure('lan', 'items past overlap', overOverlap, '', shape);
figure('lan', 'items given to a rater twice', seenTwice, '', shape);
figure('lan', 'acknowledged submits missing from the database', missing, '', shape);
process.exit(overOverlap || seenTwice || missing ? 1 : 0);
