// bench:capture — images per second through `sightline capture`'s model path on LLaVA-NeXT's shape:
// the CLIP-L/14-336 vision tower (24 layers, hidden 1024, 16 heads, MLP 4096, quick_gelu; 577 positions
// per tile; vision_feature_layer -2, so 23 layers run) and its 2-layer GELU projector to 4096, then ONE
// Mistral-7B decoder layer (d 4096, FFN 14336, 32 heads, 8 KV heads, head 128, RMSNorm, RoPE) over the
// image's packed positions, as a capture session (input 'embeds', captureReduce 'rows'). Random fp32
// weights built in memory (capture-model.ts), CPU, the real engine graphs and packing.
//
// An image is 672 x 672, which LLaVA-NeXT cuts into the 2 x 2 anyres grid plus the base tile: 5 tiles
// through the tower, 576 + 48 x 49 = 2928 packed positions through the decoder layer. `--quick` runs
// the base tile only (1 tile, 576 positions) and one image.
//
// GFLOP/s = FLOPs of the images (capture-model.ts captureFlops: the formula) / their wall time. The
// floor it is held to is a bare ORT MatMul [N, 4096] x [4096, 4096] (N = the packed positions) run,
// right after each image, as many times as comes closest to that image's FLOPs: capture / bare is the
// ratio of their GFLOP/s (goal >= 0.7). Alternating image and MatMul lets a burst from the machine's
// other tenants land on both. One image and one MatMul run first as a warm-up, untimed.
//
// Env: BENCH_IMAGES (2; --quick 1), BENCH_TILES (anyres | base; --quick base), BENCH_THREADS (2),
// BENCH_PROFILE (1: ORT's profiler on, kernel time per operator type of the tower and the decoder layer).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBareMatMul } from '../../src-main/engine/graph/bare-matmul';
import { createSession, ort } from '../../src-main/engine/session';
import { kernelTimeByOp } from './capture-profile';
import {
  type CaptureShape,
  captureFlops,
  captureImage,
  captureSessions,
  captureShape,
  randomPixels,
} from './capture-model';
import { figure, fillUniform } from './common';

const QUICK = process.argv.includes('--quick');
const IMAGES = Number(process.env.BENCH_IMAGES ?? (QUICK ? 1 : 2));
const TILES = (process.env.BENCH_TILES ?? (QUICK ? 'base' : 'anyres')) as 'anyres' | 'base';
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const PROFILE = process.env.BENCH_PROFILE === '1';
if (TILES !== 'anyres' && TILES !== 'base') throw new Error(`BENCH_TILES: expected anyres or base, got ${TILES}`);

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const G = 1e9;

async function main(): Promise<void> {
  const shape = captureShape({ tiles: TILES });
  const v = shape.vision;
  const t = shape.text;
  const flops = captureFlops(shape);
  const cpus = os.cpus();
  console.log(
    `bench capture: machine ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, onnxruntime ${ort.env.versions.common}, load ${load()}`,
  );
  const shapeText =
    `tower: ${v.featureLayer} of ${v.nLayers} layers, hidden ${v.hiddenSize}, ${v.nHeads} heads, MLP ${v.intermediateSize}, ` +
    `${v.hiddenAct}, image ${v.imageSize}, patch ${v.patchSize} (${shape.towerPositions} positions), projector ${v.hiddenSize}->${v.textHiddenSize}->${v.textHiddenSize} GELU; ` +
    `decoder: 1 layer, d ${t.dModel}, FFN ${t.ffnDim}, ${t.nHeads} heads, ${t.nKvHeads} KV heads, head ${t.headDim}, lm_head vocab ${t.vocabSize} on the last position; ` +
    `${shape.tiles} tile${shape.tiles === 1 ? '' : 's'} per image (${TILES === 'anyres' ? `${shape.layout.imageSize.join(' x ')} image: 2 x 2 anyres grid + base` : 'the base tile only'}), ` +
    `${shape.packedPositions} packed positions; fp32, CPU, ${THREADS} threads`;
  console.log(`bench capture: shape ${shapeText}`);
  console.log(
    `bench capture: FLOPs per image ${(flops.total / G).toFixed(1)} G (tower ${(flops.tower / G).toFixed(1)}, decoder layer ${(flops.decoder / G).toFixed(1)})`,
  );

  const profileDir = PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-capture-profile-')) : undefined;
  if (profileDir) process.on('exit', () => fs.rmSync(profileDir, { recursive: true, force: true }));
  let t0 = performance.now();
  const sessions = await captureSessions(shape, THREADS, profileDir ? { profileDir } : {});
  figure(
    'capture',
    'sessions built (random weights, graphs, ORT sessions)',
    (performance.now() - t0) / 1000,
    's',
    `peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`,
  );

  const d = t.dModel;
  const M = shape.packedPositions;
  const weights = new Float32Array(d * d);
  fillUniform(weights, { s: 0x2545f491 }, Math.sqrt(3 / d));
  const bare = (
    await createSession(buildBareMatMul(d, d, { weights }).bytes, { providers: 'cpu', intraOpNumThreads: THREADS })
  ).session;
  const x = new Float32Array(M * d);
  fillUniform(x, { s: 7 }, 1);
  const feeds = { x: new ort.Tensor('float32', x, [M, d]) };
  const bareFlops = 2 * M * d * d;
  const bareRuns = Math.max(1, Math.round(flops.total / bareFlops));
  const timeBare = async (runs: number) => {
    const start = performance.now();
    for (let r = 0; r < runs; r++) {
      const y = (await bare.run(feeds)).y.data as Float32Array;
      if (!Number.isFinite(y[0])) throw new Error('bare MatMul: non-finite output');
    }
    return performance.now() - start;
  };

  // Warm-up: ORT sizes its arenas and picks kernels on the first run.
  t0 = performance.now();
  const warm = await captureImage(sessions, randomPixels(shape, 1));
  if (warm.rows.length !== M * d || !warm.rows.every(Number.isFinite))
    throw new Error(`capture: ${warm.rows.length / d} rows or non-finite values; expected ${M} finite rows`);
  await timeBare(1);
  figure('capture', 'warm-up image + 1 bare MatMul', (performance.now() - t0) / 1000, 's');

  const times = { tower: 0, pack: 0, decoder: 0, bare: 0 };
  const pairs: number[] = [];
  const loadBefore = load();
  for (let i = 0; i < IMAGES; i++) {
    const r = await captureImage(sessions, randomPixels(shape, 100 + i));
    times.tower += r.towerMs;
    times.pack += r.packMs;
    times.decoder += r.decoderMs;
    const bareMs = await timeBare(bareRuns);
    times.bare += bareMs;
    // capture GFLOP/s over bare GFLOP/s for this image and the MatMuls right after it
    const pair = flops.total / (r.towerMs + r.packMs + r.decoderMs) / ((bareRuns * bareFlops) / bareMs);
    pairs.push(pair);
    console.log(
      `bench capture: image ${i + 1}/${IMAGES}: tower ${r.towerMs.toFixed(0)} ms, pack ${r.packMs.toFixed(0)} ms, decoder layer ${r.decoderMs.toFixed(0)} ms, bare MatMuls ${bareMs.toFixed(0)} ms (ratio ${pair.toFixed(2)}); load ${load()}`,
    );
  }
  const captureMs = times.tower + times.pack + times.decoder;
  const gflops = (f: number, ms: number) => (IMAGES * f) / G / (ms / 1000);
  const bareRate = (IMAGES * bareRuns * bareFlops) / G / (times.bare / 1000);
  const s = `${IMAGES} image${IMAGES === 1 ? '' : 's'}, ${shape.tiles} tiles and ${M} positions each; load before ${loadBefore}, after ${load()}`;
  // A few images a minute on 2 cores: three significant digits, and the seconds one image takes.
  figure('capture', 'images per second', ((IMAGES * 1000) / captureMs).toPrecision(3), 'images/s', s);
  figure('capture', 'seconds per image', captureMs / IMAGES / 1000, 's');
  figure('capture', 'capture (tower + pack + decoder layer)', gflops(flops.total, captureMs), 'GFLOP/s', s);
  figure(
    'capture',
    'vision tower + projector',
    gflops(flops.tower, times.tower),
    'GFLOP/s',
    `${(times.tower / IMAGES).toFixed(0)} ms per image`,
  );
  figure('capture', 'packing (JS)', times.pack / IMAGES, 'ms per image');
  figure(
    'capture',
    'decoder layer',
    gflops(flops.decoder, times.decoder),
    'GFLOP/s',
    `${(times.decoder / IMAGES).toFixed(0)} ms per image`,
  );
  figure(
    'capture',
    'bare MatMul',
    bareRate,
    'GFLOP/s',
    `[${M}, ${d}] x [${d}, ${d}], ${bareRuns} runs after each image`,
  );
  figure('capture', 'capture / bare MatMul', gflops(flops.total, captureMs) / bareRate, '', 'goal >= 0.7');
  figure(
    'capture',
    'capture / bare MatMul, median of the per-image pairs',
    median(pairs),
    '',
    pairs.map((x) => x.toFixed(2)).join(', '),
  );
  figure('capture', 'tower / bare MatMul', gflops(flops.tower, times.tower) / bareRate, '');
  figure('capture', 'decoder layer / bare MatMul', gflops(flops.decoder, times.decoder) / bareRate, '');
  figure('capture', 'peak RSS', process.resourceUsage().maxRSS / 2 ** 20, 'GiB');

  if (profileDir) {
    console.log('bench capture: profiled run (ORT profiler on): the timings above include its overhead');
    sessions.tower.endProfiling();
    sessions.decoder.session.endProfiling();
    // captureSessions named the files by session: tower_<date>.json, decoder_<date>.json
    const file = (name: string) =>
      path.join(profileDir, fs.readdirSync(profileDir).find((f) => f.startsWith(`${name}_`))!);
    for (const line of kernelTimeByOp(file('tower'), 'tower')) console.log(`bench capture: profile ${line}`);
    for (const line of kernelTimeByOp(file('decoder'), 'decoder layer')) console.log(`bench capture: profile ${line}`);
  }
  await sessions.tower.release();
  await sessions.decoder.session.release();
  await bare.release();
}

await main();
