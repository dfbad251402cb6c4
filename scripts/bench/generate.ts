// bench:generate — decoding speed of the language-model graph (issue 13) on a model with TinyLlama's
// shape (d_model 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000) and random weights,
// held against the machine's memory bandwidth measured in the same run.
//
// The parent writes the model once as a Hugging Face folder (BF16 safetensors, as TinyLlama ships;
// seeded xorshift, streamed), then the weight cache entries (lm/weight-cache.ts: fp32 as ONNX external
// data, int4 block-quantised for MatMulNBits) the way `generate --precision` does. Each precision runs
// in its own child process so its peak RSS is its own, with the memory bandwidth measured right before
// and after it (BENCH_THREADS workers each copying their own 256 MiB buffer, bytes read + written per
// second, what a memcpy moves; the higher of the two, the stricter floor). In each child:
//   - prefill: one 512-token prompt (batch 1), tokens/s;
//   - decode at batch 1: BENCH_DECODE_STEPS cached steps after that prefill, tokens/s;
//   - decode at batch 8: 8 prompts of BENCH_BATCH8_PROMPT tokens, then the same number of steps, tokens/s.
// The decode floor is the time to read every weight a step reads (all but the embedding table, of which
// a step reads one row per token) once at that bandwidth; decode/floor ratio = floor time / measured
// step time at batch 1 (1 = bandwidth-bound). Peak RSS (process.resourceUsage().maxRSS) is held to the
// cache entry's bytes + the largest KV cache + 25%. After that, a bare graph of the same weights (each
// linear layer and lm_head times one vector, nothing else) gives the ceiling the decoder graph itself
// could reach on this machine: decode / bare says what the rest of the graph and the cache cost, bare /
// floor what the MatMul kernels get of the bandwidth.
//
// Env: BENCH_PRECISIONS (default "fp32,int4"), BENCH_THREADS (2), BENCH_DECODE_STEPS (8),
// BENCH_PROMPT (512), BENCH_BATCH8_PROMPT (64), BENCH_LAYERS (22; fewer for a quick look),
// BENCH_ACCURACY (MatMulNBits accuracy_level: 0, the default and what generate uses, or 4: int8 dot products),
// BENCH_DIR (keep the model and cache there between runs instead of a temp folder),
// BENCH_FUSED (1, the default: also time prefill and decode at batch 1 on the graph built with
// `fused: true`, contrib-op norms, rotary and attention, stepped in turn with the standard graph; 0 skips it),
// BENCH_MIXED (1: also time the graph built with input 'mixed', the one session a LLaVA-NeXT model
// serves text and image prompts with, against the ids-only graph on text prompts, stepped in turn;
// default 0),
// BENCH_PROFILE (1: ORT's profiler over BENCH_DECODE_STEPS steps, kernel time per operator type).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { declareDecoderWeights, emitLinear } from '../../src-main/engine/graph/decoder-weights';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder';
import { FLOAT, GraphBuilder } from '../../src-main/engine/graph/onnx-builder';
import type { CachedLmWeights } from '../../src-main/engine/lm/weight-cache';
import { DecodeRun, type DecoderSession } from '../../src-main/engine/lm/decode';
import { openLmFolder } from '../../src-main/engine/lm/folder';
import { cachedWeights, type Precision, weightBytesPerToken } from '../../src-main/engine/lm/weight-cache';
import { decoderWeightsFor } from '../../src-main/engine/lm-handlers';
import { createSession, ort } from '../../src-main/engine/session';
import { figure, fillUniform, machine, writeSafetensorsStreamed } from './common';
import { type AlternatedSteps, alternateSteps, profileDecodeStep } from './generate-profile';

const SHAPE = {
  dModel: 2048,
  nLayers: Number(process.env.BENCH_LAYERS ?? 22),
  nHeads: 32,
  nKvHeads: 4,
  ffn: 5632,
  vocab: 32000,
};
const HEAD_DIM = SHAPE.dModel / SHAPE.nHeads;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const STEPS = Number(process.env.BENCH_DECODE_STEPS ?? 8);
const PROMPT = Number(process.env.BENCH_PROMPT ?? 512);
const BATCH8_PROMPT = Number(process.env.BENCH_BATCH8_PROMPT ?? 64);
const ACCURACY = Number(process.env.BENCH_ACCURACY ?? 0) === 4 ? 4 : 0;
const FUSED = process.env.BENCH_FUSED !== '0';
const MIXED = process.env.BENCH_MIXED === '1';
const PROFILE = process.env.BENCH_PROFILE === '1';
const SCRIPT = fileURLToPath(import.meta.url);
const GiB = 2 ** 30;
const shapeText = `d_model ${SHAPE.dModel}, ${SHAPE.nLayers} layers, ${SHAPE.nHeads} heads, ${SHAPE.nKvHeads} KV heads, FFN ${SHAPE.ffn}, vocab ${SHAPE.vocab}`;
// The cache is keyed by the source sha256; hashing the 2 GiB folder would only slow the bench, and the
// folder is a pure function of the shape and the seed, so those name it.
const SOURCE_SHA = createHash('sha256').update(`bench:generate ${shapeText} seed 1`).digest('hex');

function writeModel(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const { dModel: D, nLayers, nHeads, nKvHeads, ffn, vocab } = SHAPE;
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: D,
      intermediate_size: ffn,
      num_hidden_layers: nLayers,
      num_attention_heads: nHeads,
      num_key_value_heads: nKvHeads,
      vocab_size: vocab,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      max_position_embeddings: 2048,
      tie_word_embeddings: false,
      bos_token_id: 1,
      eos_token_id: 2,
      torch_dtype: 'bfloat16',
    }),
  );
  const state = { s: 0x2545f491 };
  // std 0.02 (uniform of half-width 0.0346): the usual Llama initialisation; norms at 1.
  const w = (o: Float32Array) => fillUniform(o, state, 0.0346);
  const ones = (o: Float32Array) => o.fill(1);
  const tensors: { name: string; shape: number[]; fill: (out: Float32Array) => void }[] = [
    { name: 'model.embed_tokens.weight', shape: [vocab, D], fill: w },
  ];
  for (let l = 0; l < nLayers; l++) {
    const p = `model.layers.${l}.`;
    tensors.push(
      { name: `${p}input_layernorm.weight`, shape: [D], fill: ones },
      { name: `${p}self_attn.q_proj.weight`, shape: [nHeads * HEAD_DIM, D], fill: w },
      { name: `${p}self_attn.k_proj.weight`, shape: [nKvHeads * HEAD_DIM, D], fill: w },
      { name: `${p}self_attn.v_proj.weight`, shape: [nKvHeads * HEAD_DIM, D], fill: w },
      { name: `${p}self_attn.o_proj.weight`, shape: [D, nHeads * HEAD_DIM], fill: w },
      { name: `${p}post_attention_layernorm.weight`, shape: [D], fill: ones },
      { name: `${p}mlp.gate_proj.weight`, shape: [ffn, D], fill: w },
      { name: `${p}mlp.up_proj.weight`, shape: [ffn, D], fill: w },
      { name: `${p}mlp.down_proj.weight`, shape: [D, ffn], fill: w },
    );
  }
  tensors.push(
    { name: 'model.norm.weight', shape: [D], fill: ones },
    { name: 'lm_head.weight', shape: [vocab, D], fill: w },
  );
  writeSafetensorsStreamed(path.join(dir, 'model.safetensors'), tensors, 1 << 22, 'BF16');
}

/** Bytes moved per second (read + write) by `threads` workers each copying its own buffer. */
async function copyBandwidth(threads: number, bytesPerThread = 256 * 2 ** 20, reps = 6): Promise<number> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const a = Buffer.alloc(workerData.bytes, 1), b = Buffer.alloc(workerData.bytes);
    a.copy(b); // touch both once so page faults are not timed
    const flag = new Int32Array(workerData.flag);
    Atomics.add(flag, 1, 1);
    Atomics.wait(flag, 0, 0);
    const t0 = performance.now();
    for (let i = 0; i < workerData.reps; i++) (i % 2 ? b.copy(a) : a.copy(b));
    parentPort.postMessage(performance.now() - t0);`;
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const workers = Array.from(
    { length: threads },
    () => new Worker(source, { eval: true, workerData: { bytes: bytesPerThread, reps, flag: flag.buffer } }),
  );
  const done = workers.map((w) => new Promise<number>((resolve) => w.once('message', resolve)));
  while (Atomics.load(flag, 1) < threads) await new Promise((r) => setTimeout(r, 10));
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const ms = Math.max(...(await Promise.all(done)));
  await Promise.all(workers.map((w) => w.terminate()));
  return (2 * bytesPerThread * reps * threads) / (ms / 1000);
}

interface ChildResult {
  precision: Precision;
  loadSeconds: number;
  prefillTokensPerSecond: number;
  decode1TokensPerSecond: number;
  decode8TokensPerSecond: number;
  /** standard and `fused: true` graphs stepped in alternation at batch 1 (BENCH_FUSED) */
  fused?: AlternatedSteps;
  /** ids-only and 'mixed'-input graphs stepped in alternation at batch 1 (BENCH_MIXED) */
  mixed?: AlternatedSteps;
  /** BENCH_PROFILE's lines */
  profile: string[];
  /** one token through every linear layer and lm_head alone (no attention, norms or cache): the graph's own ceiling */
  bareTokensPerSecond: number;
  weightBytes: number;
  weightBytesPerToken: number;
  kvBytes: number;
  peakRssBytes: number;
  /** RSS before the session: Node, tsx and the onnxruntime binding, no weights */
  runtimeRssBytes: number;
  provider: string;
}

function kvBytes(batch: number, tokens: number): number {
  return 2 * SHAPE.nLayers * batch * SHAPE.nKvHeads * tokens * HEAD_DIM * 4;
}

/** Time `steps` cached decode steps after a prefill of `prompts`; tokens per second over the steps. */
async function decodeRate(
  ds: DecoderSession,
  prompts: number[][],
  steps: number,
): Promise<{ prefill: number; decode: number }> {
  const run = new DecodeRun(ds, { prompts });
  const t0 = performance.now();
  await run.prefill();
  const t1 = performance.now();
  for (let s = 0; s < steps; s++) await run.step(prompts.map((_, r) => (7 * s + r + 3) % SHAPE.vocab));
  const t2 = performance.now();
  const tokens = prompts.reduce((n, p) => n + p.length, 0);
  return { prefill: tokens / ((t1 - t0) / 1000), decode: (steps * prompts.length) / ((t2 - t1) / 1000) };
}

async function child(folder: string, cacheFolder: string, precision: Precision): Promise<void> {
  const runtimeRssBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  const lm = openLmFolder(folder);
  const { weights } = decoderWeightsFor(lm, precision, { folder: cacheFolder, sourceSha256: SOURCE_SHA }, 0);
  if (!('manifest' in weights)) throw new Error('expected a cache entry');
  // As loadLm builds it: every layer steerable (fed zeros here), so the figures are the real path's.
  const model = buildDecoderModel(weights, { projection: true, accuracyLevel: ACCURACY });
  const { session, report } = await createSession(model.bytes, {
    providers: 'cpu',
    intraOpNumThreads: THREADS,
    externalDataFolder: weights.folder,
  });
  const ds: DecoderSession = { session, model };
  const loadSeconds = (performance.now() - t0) / 1000;
  const prompt = (n: number, r: number) => Array.from({ length: n }, (_, i) => (31 * i + 17 * r + 5) % SHAPE.vocab);
  // One short warm-up so first-run allocations are not timed.
  await decodeRate(ds, [prompt(8, 0)], 1);
  const one = await decodeRate(ds, [prompt(PROMPT, 0)], STEPS);
  const eight = await decodeRate(
    ds,
    Array.from({ length: 8 }, (_, r) => prompt(BATCH8_PROMPT, r)),
    STEPS,
  );
  const result: ChildResult = {
    precision,
    loadSeconds,
    prefillTokensPerSecond: one.prefill,
    decode1TokensPerSecond: one.decode,
    decode8TokensPerSecond: eight.decode,
    weightBytes: weights.manifest.bytes,
    weightBytesPerToken: weightBytesPerToken(weights.manifest),
    kvBytes: Math.max(kvBytes(1, PROMPT + STEPS), kvBytes(8, BATCH8_PROMPT + STEPS)),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    runtimeRssBytes,
    provider: report.reason,
    bareTokensPerSecond: 0,
    profile: [],
  };
  // After the peak RSS is read: each compared graph's session holds the weights a second time.
  const compared = [
    ...(FUSED ? [{ key: 'fused' as const, options: { fused: true } }] : []),
    ...(MIXED ? [{ key: 'mixed' as const, options: { input: 'mixed' as const } }] : []),
  ];
  for (const { key, options } of compared) {
    const otherModel = buildDecoderModel(weights, { projection: true, accuracyLevel: ACCURACY, ...options });
    const other = await createSession(otherModel.bytes, {
      providers: 'cpu',
      intraOpNumThreads: THREADS,
      externalDataFolder: weights.folder,
    });
    result[key] = await alternateSteps(ds, { session: other.session, model: otherModel }, prompt(PROMPT, 0), 2 * STEPS);
    await other.session.release();
    if (PROFILE && key === 'fused')
      result.profile.push(...(await profileDecodeStep(otherModel, THREADS, prompt(PROMPT, 0), STEPS, 'fused')));
  }
  await session.release();
  if (PROFILE) result.profile.push(...(await profileDecodeStep(model, THREADS, prompt(PROMPT, 0), STEPS, 'standard')));
  result.bareTokensPerSecond = await bareLinearRate(weights);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Steps per second of a graph that is only the step's weight reads: each linear weight times a vector. */
async function bareLinearRate(weights: CachedLmWeights): Promise<number> {
  const g = new GraphBuilder();
  const w = declareDecoderWeights(g, weights, { embed: false, accuracyLevel: ACCURACY });
  const xD = g.input('x_d', FLOAT, [1, 1, SHAPE.dModel]);
  const xF = g.input('x_f', FLOAT, [1, 1, SHAPE.ffn]);
  const sums = [w.lmHead, ...w.layers.flatMap((l) => [l.q, l.k, l.v, l.o, l.gate, l.up, l.down])].map((weight, i) =>
    g.op('ReduceSum', [emitLinear(g, i > 0 && (i - 1) % 7 === 6 ? xF : xD, weight)], { keepdims: 0 }),
  );
  g.node('Sum', sums, ['total']);
  g.output('total', FLOAT, []);
  // Only the linear weights are read here: drop the norms and rope table (ORT would warn about each).
  const used = new Set(g.nodes.flatMap((n) => n.input ?? []));
  g.initializers.splice(0, g.initializers.length, ...g.initializers.filter((t) => used.has(t.name ?? '')));
  const { session } = await createSession(g.encode('bare_linear'), {
    providers: 'cpu',
    intraOpNumThreads: THREADS,
    externalDataFolder: weights.folder,
  });
  const feeds = {
    x_d: new ort.Tensor('float32', new Float32Array(SHAPE.dModel).fill(0.01), [1, 1, SHAPE.dModel]),
    x_f: new ort.Tensor('float32', new Float32Array(SHAPE.ffn).fill(0.01), [1, 1, SHAPE.ffn]),
  };
  await session.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) await session.run(feeds);
  const rate = STEPS / ((performance.now() - t0) / 1000);
  await session.release();
  return rate;
}

function runChild(args: string[]): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`bench child ${args.join(' ')} exited ${r.status}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

async function parent(): Promise<void> {
  const precisions = (process.env.BENCH_PRECISIONS ?? 'fp32,int4').split(',') as Precision[];
  const keep = process.env.BENCH_DIR;
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-generate-'));
  if (!keep) process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const folder = path.join(dir, `model-${SHAPE.nLayers}l`);
  const cacheFolder = path.join(dir, 'cache');
  console.log(
    `bench generate: ${machine()}, onnxruntime-node ${ort.env.versions.common}, ${THREADS} threads, load average ${os.loadavg()[0].toFixed(1)}`,
  );
  console.log(`bench generate: model ${shapeText}, random BF16 weights, std 0.02`);
  let t0 = performance.now();
  if (!fs.existsSync(path.join(folder, 'model.safetensors'))) writeModel(folder);
  figure(
    'generate',
    'model written',
    (performance.now() - t0) / 1000,
    's',
    `${(fs.statSync(path.join(folder, 'model.safetensors')).size / GiB).toFixed(2)} GiB BF16`,
  );
  const lm = openLmFolder(folder);
  for (const precision of precisions) {
    t0 = performance.now();
    const { weights, reused } = cachedWeights(lm, cacheFolder, SOURCE_SHA, precision);
    figure(
      'generate',
      `${precision} cache entry ${reused ? 'reused' : 'written'}`,
      (performance.now() - t0) / 1000,
      's',
      `${(weights.manifest.bytes / GiB).toFixed(2)} GiB`,
    );
  }
  console.log(
    `bench generate: prefill ${PROMPT}-token prompt at batch 1; decode ${STEPS} steps after it (batch 1) and after ${BATCH8_PROMPT}-token prompts (batch 8); MatMulNBits accuracy_level ${ACCURACY}`,
  );
  for (const precision of precisions) {
    // Bandwidth right before and right after the child, the higher of the two: the stricter floor on a
    // machine whose other tenants come and go.
    const before = await copyBandwidth(THREADS);
    const r = runChild(['--child', folder, cacheFolder, precision]);
    const after = await copyBandwidth(THREADS);
    const bandwidth = Math.max(before, after);
    figure(
      'generate',
      `${precision} memory bandwidth`,
      bandwidth / 1e9,
      'GB/s',
      `${THREADS} threads each copying 256 MiB, read + write; before ${(before / 1e9).toFixed(2)}, after ${(after / 1e9).toFixed(2)}`,
    );
    const floorSeconds = r.weightBytesPerToken / bandwidth;
    const budget = (r.weightBytes + r.kvBytes) * 1.25;
    figure('generate', `${precision} load`, r.loadSeconds, 's', r.provider);
    figure('generate', `${precision} prefill`, r.prefillTokensPerSecond, 'tokens/s', `${PROMPT} tokens, batch 1`);
    figure('generate', `${precision} decode batch 1`, r.decode1TokensPerSecond, 'tokens/s');
    figure('generate', `${precision} decode batch 8`, r.decode8TokensPerSecond, 'tokens/s');
    if (r.fused)
      compareFigures(precision, 'fused', r.fused, 'fused = contrib-op norms, rotary and GroupQueryAttention');
    if (r.mixed)
      compareFigures(precision, 'mixed', r.mixed, "mixed = input_ids plus inputs_embeds (LLaVA-NeXT's one session)");
    figure(
      'generate',
      `${precision} decode floor`,
      1 / floorSeconds,
      'tokens/s',
      `${(r.weightBytesPerToken / GiB).toFixed(2)} GiB of weights per token / bandwidth`,
    );
    figure(
      'generate',
      `${precision} decode/floor ratio`,
      r.decode1TokensPerSecond * floorSeconds,
      '',
      'batch 1; 0.7 is the bar',
    );
    figure(
      'generate',
      `${precision} bare linear layers`,
      r.bareTokensPerSecond,
      'tokens/s',
      `every weight of a step times one vector and nothing else; decode batch 1 / this = ${(r.decode1TokensPerSecond / r.bareTokensPerSecond).toFixed(2)}, this / floor = ${(r.bareTokensPerSecond * floorSeconds).toFixed(2)}`,
    );
    for (const line of r.profile) console.log(`bench generate: ${precision} profile ${line}`);
    figure(
      'generate',
      `${precision} peak RSS`,
      r.peakRssBytes / GiB,
      'GiB',
      `budget weights ${(r.weightBytes / GiB).toFixed(2)} + KV ${(r.kvBytes / GiB).toFixed(2)} + 25% = ${(budget / GiB).toFixed(2)} GiB: ${r.peakRssBytes <= budget ? 'within' : 'OVER'}; runtime before the session ${(r.runtimeRssBytes / GiB).toFixed(2)} GiB`,
    );
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--child') await child(rest[0], rest[1], rest[2] as Precision);
else await parent();

/** A graph stepped in alternation with the standard one: prefill, decode and their ratio. */
function compareFigures(precision: Precision, name: string, f: AlternatedSteps, what: string): void {
  figure(
    'generate',
    `${precision} prefill standard / ${name}`,
    `${f.prefill[0].toFixed(2)} / ${f.prefill[1].toFixed(2)}`,
    'tokens/s',
    `${PROMPT} tokens, batch 1; ${what}`,
  );
  figure(
    'generate',
    `${precision} decode batch 1 standard / ${name}`,
    `${(1000 / f.stepMs[0]).toFixed(2)} / ${(1000 / f.stepMs[1]).toFixed(2)}`,
    'tokens/s',
    `${f.steps} steps each, alternating, median step`,
  );
  figure(
    'generate',
    `${precision} ${name} / standard decode speed`,
    f.stepMs[0] / f.stepMs[1],
    '',
    `median of per-pair ratios ${f.pairRatio.toFixed(3)}`,
  );
}
