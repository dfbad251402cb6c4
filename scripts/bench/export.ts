// Export benchmark (issues 5 and 12): builds a temporary project with 1,000,000 judgements, then times the
// JSONL, CSV and Parquet exports, each in its own child process so peak RSS is that export's alone.
// Prints figures; asserts nothing about time.
//
//   node --import tsx scripts/bench/export.ts [--judgements N] [--formats jsonl,csv,parquet] [--keep]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BUILTIN_TEMPLATES, showPairs, showQuestions } from '../../src-main/domain/templates';
import { exportCampaign, type ExportFormat } from '../../src-main/export';
import { shownOrderJson } from '../../src-main/util/shown-order';
import { openProject } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';

const CLASSES = [
  'goldfish',
  'school bus',
  'strawberry',
  'volcano',
  'tabby cat',
  'golden retriever',
  'lighthouse',
  'pizza',
  'tractor',
  'zebra',
];
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function generate(dir: string, judgements: number, overlap: number, raterCount: number): number {
  const project = openProject(dir, { create: true });
  const db = project.db;
  db.pragma('synchronous = OFF'); // a throwaway project: one transaction, no need to fsync while filling it
  const template = BUILTIN_TEMPLATES['concept-choice'];
  const itemCount = Math.ceil(judgements / overlap);
  const items = Array.from({ length: itemCount }, (_, index) => {
    const [source, target, d1, d2] = [0, 3, 5, 7].map((offset) => CLASSES[(index + offset) % CLASSES.length]);
    const k = (index % 7) * 5;
    return {
      payload: {
        question: 'What is shown in this image?',
        answer: `It looks like a ${k > 10 ? target : source}, with some details in the background.`,
        options: [source, target, d1, d2].sort(),
      },
      hidden: { source_class: source, target_class: target, correct: target, k, layer: 10 + (index % 3) * 5 },
      condition: `k=${k}`,
    };
  });
  const campaignId = insertCampaign(
    db,
    { name: 'bench', template, instructions: 'Pick the concept.', overlap, leaseSeconds: 600, seed: 7 },
    items,
  );
  const firstItem = db.prepare('SELECT MIN(id) FROM items WHERE campaign_id = ?').pluck().get(campaignId) as number;
  db.transaction(() => {
    const insertRater = db.prepare(
      'INSERT INTO raters (campaign_id, name, pseudonym, token, seed, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const raterIds: number[] = [];
    const seeds: number[] = [];
    for (let r = 0; r < raterCount; r++) {
      seeds.push(1000 + r);
      raterIds.push(
        Number(
          insertRater.run(
            campaignId,
            `rater ${r}`,
            `R${String(r + 1).padStart(3, '0')}`,
            `token-${r}`,
            1000 + r,
            Date.now(),
          ).lastInsertRowid,
        ),
      );
    }
    const insertAssignment = db.prepare(
      "INSERT INTO assignments (item_id, rater_id, status, shown_json, leased_at, lease_expires_at) VALUES (?, ?, 'submitted', ?, ?, ?)",
    );
    // shown_order as the submit path writes it (store/judgements.ts insertSubmission).
    const insertJudgement = db.prepare(
      "INSERT INTO judgements (assignment_id, action, answer_json, shown_json, shown_order, active_ms, submitted_at) VALUES (?, 'submit', ?, ?, ?, ?, ?)",
    );
    const start = Date.UTC(2025, 0, 1);
    let written = 0;
    for (let i = 0; i < itemCount && written < judgements; i++) {
      const itemId = firstItem + i;
      const payload = items[i].payload;
      for (let o = 0; o < overlap && written < judgements; o++, written++) {
        const r = (i * overlap + o) % raterCount;
        const shownRecord = {
          questions: showQuestions(template, payload, seeds[r], itemId),
          pairs: showPairs(template, seeds[r], itemId),
        };
        const shown = JSON.stringify(shownRecord);
        const leasedAt = start + written * 1000;
        const assignmentId = Number(
          insertAssignment.run(itemId, raterIds[r], shown, leasedAt, leasedAt + 600_000).lastInsertRowid,
        );
        const choice = (i + o) % 3 === 0 ? payload.options[(i + o) % 4] : items[i].hidden.target_class;
        insertJudgement.run(
          assignmentId,
          JSON.stringify({ concept: choice }),
          shown,
          shownOrderJson(shownRecord),
          2000 + ((i * 7 + o * 13) % 9000),
          leasedAt + 5000,
        );
      }
    }
  })();
  project.close();
  return campaignId;
}

/** Child: one export, reporting rows/s, RSS when 250k rows are done, RSS at the end, and peak RSS. */
async function child(dir: string, format: ExportFormat, campaignId: number): Promise<void> {
  const project = openProject(dir);
  const out = path.join(dir, 'exports', `bench.${format}`);
  let rssAt250k: number | null = null;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const result = await exportCampaign(project.db, campaignId, {
    format,
    out,
    // Called at most every progressIntervalMs: a cheap hook to sample RSS partway through.
    progressIntervalMs: 0,
    onProgress: (progress) => {
      if (rssAt250k === null && progress.done >= 250_000) rssAt250k = process.memoryUsage().rss;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rssAtEnd = process.memoryUsage().rss;
  const bytes = fs.statSync(result.path).size;
  project.close();
  process.stdout.write(
    JSON.stringify({
      format,
      rows: result.rows,
      seconds,
      cpuSeconds,
      bytes,
      rssAt250k,
      rssAtEnd,
      maxRss: process.resourceUsage().maxRSS * 1024,
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      judgements: { type: 'string', default: '1000000' },
      formats: { type: 'string', default: 'jsonl,csv,parquet' },
      keep: { type: 'boolean', default: false },
      child: { type: 'string' },
      dir: { type: 'string' },
      campaign: { type: 'string' },
    },
  });
  if (values.child) return await child(values.dir as string, values.child as ExportFormat, Number(values.campaign));

  const judgements = Number(values.judgements);
  const cpu = os.cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores, ${mb(os.totalmem())} RAM, Node ${process.version}; load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(', ')}`,
  );
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-export-'));
  const dir = path.join(root, 'bench.sightline');
  try {
    const genStart = performance.now();
    const campaignId = generate(dir, judgements, 5, 200);
    const dbBytes = fs.statSync(path.join(dir, 'project.sqlite')).size;
    console.log(
      `shape: ${judgements.toLocaleString('en-US')} judgements, ${Math.ceil(judgements / 5).toLocaleString('en-US')} items x overlap 5, 200 raters, concept-choice; project.sqlite ${mb(dbBytes)}; generated in ${((performance.now() - genStart) / 1000).toFixed(1)}s`,
    );
    const rates: { format: string; rate: number }[] = [];
    for (const format of String(values.formats).split(',') as ExportFormat[]) {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', __filenameSafe(), '--child', format, '--dir', dir, '--campaign', String(campaignId)],
        { encoding: 'utf8', maxBuffer: 1 << 24 },
      );
      if (run.status !== 0) {
        console.log(`${format}: failed\n${run.stderr}`);
        continue;
      }
      const r = JSON.parse(run.stdout.trim().split('\n').pop() as string);
      rates.push({ format, rate: r.rows / r.seconds });
      console.log(
        `${format}: ${Math.round(r.rows / r.seconds).toLocaleString('en-US')} rows/s (${r.rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(2)}s, ${mb(r.bytes)} written); ` +
          // CPU time of the export process: the figure to compare when other work shares the machine.
          `${Math.round(r.rows / r.cpuSeconds).toLocaleString('en-US')} rows per CPU-second (${r.cpuSeconds.toFixed(2)} CPU-s); ` +
          `RSS at 250k rows ${r.rssAt250k === null ? 'n/a' : mb(r.rssAt250k)}, at ${(r.rows / 1000).toFixed(0)}k rows ${mb(r.rssAtEnd)}; peak RSS ${mb(r.maxRss)}`,
      );
    }
    // The target is every format at least 300,000 rows/s: the slowest one is the figure.
    const slowest = rates.reduce<(typeof rates)[number] | null>(
      (min, entry) => (!min || entry.rate < min.rate ? entry : min),
      null,
    );
    if (slowest) console.log(`min rows/s: ${Math.round(slowest.rate).toLocaleString('en-US')} (${slowest.format})`);
  } finally {
    if (values.keep) console.log(`kept ${dir}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

function __filenameSafe(): string {
  return typeof __filename === 'string' ? __filename : new URL(import.meta.url).pathname;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
