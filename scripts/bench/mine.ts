// bench:mine — the whole `sightline mine` path on the paper's SAE shape (d_in 4096, d_sae 32768,
// ReLU, random fp32 weights in a SAELens folder, ~1 GiB) over a generated corpus, against a bare ORT
// MatMul of the same shapes timed in the same run.
//
// The parent writes the SAE and the activation shards once (seeded xorshift, streamed to disk in
// chunks), then runs each measurement in its own child process so that each peak RSS is clean:
//   - `matmul`: bare MatMul [batch, 4096] x [4096, 32768] on the SAE's own W_enc bytes (ONNX external
//     data), same batch size and threads as the mine; timed both with the dense [batch, d_sae] output
//     returned to JS and with the output reduced in the graph by TopK (k 64, what the encoder returns);
//   - `mine N`: a fresh project, the real importers (import-sae, import-activations with a sidecar),
//     then the same `mine()` the CLI calls, timed end to end (SAE load + hash check in the engine, the
//     streaming pass, the example re-encode and the write).
// The import runs in its own child first, so the mine child's peak RSS is the mine's alone.
// Corpus documents: an 8x8 image tile with an image-newline row after each patch row, one special row,
// 63 text tokens (127 content rows, 136 rows), 200 documents per safetensors shard.
//
// Env: BENCH_TOKENS (default "100000,400000": content rows per run, rounded up to whole shards),
// BENCH_BATCH (2048), BENCH_THREADS (2), BENCH_MATMUL_BATCHES (4 timed after 1 warm-up, right before and right after each mine; ratios use the faster); for profiling:
// BENCH_DOCS_PER_SHARD (200), BENCH_PROFILE_DIR (write a V8 CPU profile of each mine child there).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, fillUniform, writeSafetensorsStreamed } from './common';

const D_IN = 4096;
const D_SAE = 32768;
const K = 64;
const DOCS_PER_SHARD = Number(process.env.BENCH_DOCS_PER_SHARD ?? 200);
const PATCH_GRID = 8;
const TEXT_TOKENS = 63;
const CONTENT_PER_DOC = PATCH_GRID * PATCH_GRID + TEXT_TOKENS;
const ROWS_PER_DOC = PATCH_GRID * (PATCH_GRID + 1) + 1 + TEXT_TOKENS;
const BATCH = Number(process.env.BENCH_BATCH ?? 2048);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const MATMUL_BATCHES = Number(process.env.BENCH_MATMUL_BATCHES ?? 4);
const GFLOP_PER_TOKEN = (2 * D_IN * D_SAE) / 1e9;
const SCRIPT = fileURLToPath(import.meta.url);
// A 1x1 PNG: every image document shares it (media is content-addressed, so it is stored once).
const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

function writeSae(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = {
    architecture: 'standard',
    d_in: D_IN,
    d_sae: D_SAE,
    dtype: 'float32',
    apply_b_dec_to_input: true,
    normalize_activations: 'none',
    hook_name: 'model.layers.20',
    model_name: 'llava-v1.6-mistral-7b',
  };
  fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(cfg));
  const state = { s: 0x9e3779b9 };
  const encScale = Math.sqrt(3 / D_IN); // unit-variance inputs give pre-activations of std ~1
  writeSafetensorsStreamed(path.join(dir, 'sae_weights.safetensors'), [
    { name: 'W_enc', shape: [D_IN, D_SAE], fill: (o) => fillUniform(o, state, encScale) },
    // b_enc in [-3, -2.5]: about 0.4% of features fire per token (L0 ~ 130), like a trained ReLU SAE,
    // rather than the half that a zero bias would light up.
    {
      name: 'b_enc',
      shape: [D_SAE],
      fill: (o) => (fillUniform(o, state, 0.25), o.forEach((v, i) => (o[i] = v - 2.75))),
    },
    { name: 'W_dec', shape: [D_SAE, D_IN], fill: (o) => fillUniform(o, state, 0.02) },
    { name: 'b_dec', shape: [D_IN], fill: (o) => fillUniform(o, state, 0.01) },
  ]);
}

function writeShard(file: string, seed: number): void {
  const state = { s: seed };
  writeSafetensorsStreamed(file, [
    {
      name: 'activations',
      shape: [DOCS_PER_SHARD * ROWS_PER_DOC, D_IN],
      fill: (o) => fillUniform(o, state, Math.sqrt(3)),
    },
  ]);
}

function writeSidecar(dir: string, shards: number): string {
  const documents: unknown[] = [];
  const shardList: unknown[] = [];
  const tokens = Array.from({ length: TEXT_TOKENS }, (_, i) => ` w${i}`);
  for (let s = 0; s < shards; s++) {
    const segments: unknown[] = [];
    for (let d = 0; d < DOCS_PER_SHARD; d++) {
      const id = `doc-${s}-${d}`;
      documents.push({ id, tokens, image: 'image.png', tiles: [{ rows: PATCH_GRID, cols: PATCH_GRID }] });
      segments.push(
        { document: id, kind: 'image', tile: 0, newline: true },
        { document: id, kind: 'special', count: 1, label: '<image_end>' },
        { document: id, kind: 'text', start: 0, count: TEXT_TOKENS },
      );
    }
    shardList.push({ path: `acts-${s}.safetensors`, tensor: 'activations', segments });
  }
  const file = path.join(dir, `activations-${shards}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ format: 'sightline.activations/1', d_in: D_IN, layer: 20, documents, shards: shardList }),
  );
  return file;
}

const mib = (kb: number) => kb / 1024;

// ---- child: bare MatMul on the SAE's W_enc ----
async function childMatMul(saeDir: string): Promise<void> {
  const { buildBareMatMul } = await import('../../src-main/engine/graph/bare-matmul');
  const { openSafetensors } = await import('../../src-main/engine/formats/safetensors');
  const { createSession, ort } = await import('../../src-main/engine/session');
  const st = openSafetensors(path.join(saeDir, 'sae_weights.safetensors'));
  const w = st.tensors.get('W_enc')!;
  const external = { path: st.path, offset: w.fileOffset, length: w.byteLength };
  const x = new Float32Array(BATCH * D_IN);
  fillUniform(x, { s: 12345 }, Math.sqrt(3));
  const out: Record<string, number> = {};
  for (const variant of ['dense', 'topk'] as const) {
    const model = buildBareMatMul(D_IN, D_SAE, { external, ...(variant === 'topk' ? { topK: K } : {}) });
    const { session } = await createSession(model.bytes, {
      providers: 'cpu',
      intraOpNumThreads: THREADS,
      externalDataFolder: model.externalDataFolder!,
    });
    const feeds = { x: new ort.Tensor('float32', x, [BATCH, D_IN]) };
    await session.run(feeds); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < MATMUL_BATCHES; i++) {
      const result = await session.run(feeds);
      // Touch the output in JS, as a caller would.
      const first = result[variant === 'dense' ? 'y' : 'values'].data as Float32Array;
      if (!Number.isFinite(first[0])) throw new Error('non-finite output');
    }
    out[variant] = (MATMUL_BATCHES * BATCH) / ((performance.now() - t0) / 1000);
    await session.release();
  }
  process.stdout.write(
    `${JSON.stringify({ denseTokensPerSecond: out.dense, topkTokensPerSecond: out.topk, peakRssMiB: mib(process.resourceUsage().maxRSS) })}\n`,
  );
}

// ---- child: the real importers into a fresh project ----
async function childImport(saeDir: string, sidecar: string, projectDir: string): Promise<void> {
  const { openProject } = await import('../../src-main/project/project');
  const { importSae } = await import('../../src-main/importers/sae-import');
  const { importDenseActivations } = await import('../../src-main/importers/activations-import');
  const project = openProject(projectDir, { create: true });
  const t0 = performance.now();
  await importSae(project, { path: saeDir, name: 'sae' });
  await importDenseActivations(project, sidecar, 'corpus');
  project.close();
  process.stdout.write(
    `${JSON.stringify({ importSeconds: (performance.now() - t0) / 1000, peakRssMiB: mib(process.resourceUsage().maxRSS) })}\n`,
  );
}

// ---- child: the same mine() the CLI calls, timed end to end ----
async function childMine(projectDir: string): Promise<void> {
  const { openProject } = await import('../../src-main/project/project');
  const { mine } = await import('../../src-main/mining/mine');
  const project = openProject(projectDir);
  const t1 = performance.now();
  const summary = await mine(project, {
    sae: 'sae',
    corpus: 'corpus',
    provider: 'cpu',
    batch: BATCH,
    threads: THREADS,
    topK: K,
  });
  const mineSeconds = (performance.now() - t1) / 1000;
  const examples = project.db.prepare('SELECT COUNT(*) FROM examples').pluck().get() as number;
  project.close();
  process.stdout.write(
    `${JSON.stringify({ tokens: summary.tokens, alive: summary.alive, examples, mineSeconds, phases: summary.phases, provider: summary.providerReason, peakRssMiB: mib(process.resourceUsage().maxRSS) })}\n`,
  );
}

function runChild(args: string[]): Record<string, unknown> {
  const profile =
    process.env.BENCH_PROFILE_DIR && args[1] === 'mine'
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR]
      : [];
  const r = spawnSync(process.execPath, [...profile, '--import', 'tsx', SCRIPT, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`bench child ${args.join(' ')} exited ${r.status}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Record<string, unknown>;
}

async function parent(): Promise<void> {
  const sizes = (process.env.BENCH_TOKENS ?? '100000,400000').split(',').map(Number);
  const contentPerShard = DOCS_PER_SHARD * CONTENT_PER_DOC;
  const shardCounts = sizes.map((n) => Math.ceil(n / contentPerShard));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-mine-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const saeDir = path.join(dir, 'sae');
  const t0 = performance.now();
  writeSae(saeDir);
  for (let s = 0; s < Math.max(...shardCounts); s++)
    writeShard(path.join(dir, `acts-${s}.safetensors`), 0x2545f491 + s * 7919);
  fs.writeFileSync(path.join(dir, 'image.png'), PNG_1x1);
  const sidecars = shardCounts.map((n) => writeSidecar(dir, n));
  console.log(
    `bench mine: generated the SAE (${(fs.statSync(path.join(saeDir, 'sae_weights.safetensors')).size / 2 ** 30).toFixed(2)} GiB) and ${Math.max(...shardCounts)} shards in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const cpus = os.cpus();
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const shape = (tokens: number) =>
    `d_in ${D_IN}, d_sae ${D_SAE}, relu, k ${K}, ${tokens} tokens, batch ${BATCH}, threads ${THREADS}`;
  console.log(
    `bench mine: machine ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${load()}`,
  );

  sidecars.forEach((sidecar, i) => {
    const projectDir = path.join(dir, `project-${i}.sightline`);
    const imported = runChild(['--child', 'import', saeDir, sidecar, projectDir]) as {
      importSeconds: number;
      peakRssMiB: number;
    };
    // The bare MatMul is timed right before and right after each mine (the machine's speed drifts by
    // tens of percent over minutes on a shared host); the ratios use the faster of the two timings,
    // which is the stricter comparison.
    type BareMatMul = { denseTokensPerSecond: number; topkTokensPerSecond: number; peakRssMiB: number };
    const timeBare = (when: 'before' | 'after'): BareMatMul => {
      const m = runChild(['--child', 'matmul', saeDir]) as BareMatMul;
      const mmShape = `[${BATCH}, ${D_IN}] x [${D_IN}, ${D_SAE}], threads ${THREADS}, ${MATMUL_BATCHES} batches, ${when} the ${sizes[i]}-token mine`;
      figure('mine', 'bare MatMul, dense output to JS', m.denseTokensPerSecond, 'tokens/s', mmShape);
      figure('mine', 'bare MatMul, dense output to JS', m.denseTokensPerSecond * GFLOP_PER_TOKEN, 'GFLOP/s', mmShape);
      figure('mine', `bare MatMul + in-graph TopK ${K}`, m.topkTokensPerSecond, 'tokens/s', mmShape);
      figure('mine', `bare MatMul + in-graph TopK ${K}`, m.topkTokensPerSecond * GFLOP_PER_TOKEN, 'GFLOP/s', mmShape);
      return m;
    };
    const before = timeBare('before');
    const loadBefore = load();
    const r = runChild(['--child', 'mine', projectDir]) as {
      tokens: number;
      alive: number;
      examples: number;
      mineSeconds: number;
      phases: { loadSeconds: number; passSeconds: number; writeSeconds: number; lockSeconds: number };
      provider: string;
      peakRssMiB: number;
    };
    const after = timeBare('after');
    const matmul = {
      denseTokensPerSecond: Math.max(before.denseTokensPerSecond, after.denseTokensPerSecond),
      topkTokensPerSecond: Math.max(before.topkTokensPerSecond, after.topkTokensPerSecond),
    };
    const s = shape(r.tokens);
    const rate = r.tokens / r.mineSeconds;
    console.log(
      `bench mine: ${r.tokens} tokens: provider ${r.provider}; ${r.alive} features alive, ${r.examples} examples; import ${imported.importSeconds.toFixed(1)} s (peak RSS ${imported.peakRssMiB.toFixed(0)} MiB); load before the mine ${loadBefore}, after ${load()}`,
    );
    figure('mine', 'whole mine command', rate, 'tokens/s', s);
    figure('mine', 'whole mine command', rate * GFLOP_PER_TOKEN, 'GFLOP/s', s);
    figure('mine', 'whole mine / faster bare MatMul (dense output)', rate / matmul.denseTokensPerSecond, '', s);
    figure('mine', 'whole mine / faster bare MatMul + TopK', rate / matmul.topkTokensPerSecond, '', s);
    figure(
      'mine',
      'phases load / pass / write',
      `${r.phases.loadSeconds.toFixed(1)} / ${r.phases.passSeconds.toFixed(1)} / ${r.phases.writeSeconds.toFixed(1)}`,
      's',
      s,
    );
    // The part of the write phase other writers (raters) wait for: the staged results' swap.
    figure('mine', 'project write lock held by the write phase', r.phases.lockSeconds, 's', s);
    figure('mine', 'streaming pass alone', r.tokens / r.phases.passSeconds, 'tokens/s', s);
    figure(
      'mine',
      'streaming pass / faster bare MatMul + TopK',
      r.tokens / r.phases.passSeconds / matmul.topkTokensPerSecond,
      '',
      s,
    );
    figure('mine', 'peak RSS of the mine process', r.peakRssMiB, 'MiB', s);
    fs.rmSync(projectDir, { recursive: true, force: true });
  });
  console.log(`bench mine: load at the end ${load()}`);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--child' && rest[0] === 'matmul') await childMatMul(rest[1]);
else if (mode === '--child' && rest[0] === 'import') await childImport(rest[1], rest[2], rest[3]);
else if (mode === '--child' && rest[0] === 'mine') await childMine(rest[1]);
else await parent();
