// bench:generate's comparisons of one graph against another and of a step's parts:
//   - alternateSteps: two decoder graphs (standard and `fused: true`) prefilled on the same prompt and
//     then stepped in turn, A B A B ..., so a burst from the machine's other tenants lands on both;
//   - profileDecodeStep (BENCH_PROFILE=1): ONNX Runtime's own profiler over a prefill and cached
//     steps, the steps' kernel times summed per operator type (attention's MatMuls apart).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DecoderModel } from '../../src-main/engine/graph/lm-decoder';
import { DecodeRun, type DecoderSession } from '../../src-main/engine/lm/decode';
import { ort } from '../../src-main/engine/session';

export interface AlternatedSteps {
  steps: number;
  /** prefill tokens/s of [a, b] */
  prefill: [number, number];
  /** median step ms of [a, b] */
  stepMs: [number, number];
  /** median of a's step time / b's step time over the pairs */
  pairRatio: number;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function alternateSteps(
  a: DecoderSession,
  b: DecoderSession,
  prompt: number[],
  steps: number,
): Promise<AlternatedSteps> {
  const runs = [new DecodeRun(a, { prompts: [prompt] }), new DecodeRun(b, { prompts: [prompt] })];
  const prefill: number[] = [];
  for (const run of runs) {
    const t0 = performance.now();
    await run.prefill();
    prefill.push(prompt.length / ((performance.now() - t0) / 1000));
  }
  const times: [number[], number[]] = [[], []];
  for (let s = 0; s < steps; s++) {
    const token = (7 * s + 3) % a.model.config.vocabSize;
    // Which goes first swaps each pair, so neither always follows the other's cache traffic.
    for (const i of s % 2 ? [1, 0] : [0, 1]) {
      const t0 = performance.now();
      await runs[i].step([token]);
      times[i].push(performance.now() - t0);
    }
  }
  return {
    steps,
    prefill: [prefill[0], prefill[1]],
    stepMs: [median(times[0]), median(times[1])],
    pairRatio: median(times[0].map((t, i) => t / times[1][i])),
  };
}

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
}

/** One line per operator type: ms per decode step and share of the steps' kernel time. */
export async function profileDecodeStep(
  model: DecoderModel,
  threads: number,
  prompt: number[],
  steps: number,
  label: string,
): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-profile-'));
  try {
    const session = await ort.InferenceSession.create(model.bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      graphOptimizationLevel: 'all',
      enableProfiling: true,
      profileFilePrefix: path.join(dir, 'decode'),
      ...(model.externalDataFolder
        ? { extra: { session: { model_external_initializers_file_folder_path: model.externalDataFolder } } }
        : {}),
    });
    const run = new DecodeRun({ session, model }, { prompts: [prompt] });
    await run.prefill();
    for (let s = 0; s < steps; s++) await run.step([(7 * s + 3) % model.config.vocabSize]);
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) return [`${label}: ORT wrote no profile`];
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[];
    // The first model_run is the prefill; the rest are the steps.
    const runs = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
    const stepRuns = runs.slice(1);
    const inStep = (e: ProfileEvent) => stepRuns.some((r) => e.ts >= r.ts && e.ts + e.dur <= r.ts + r.dur);
    const byOp = new Map<string, number>();
    let kernel = 0;
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !inStep(e)) continue;
      // Attention's two MatMuls are the 5-D ones (lm-decoder.ts emitAttention); the rest are linear layers.
      const firstShape = Object.values(e.args?.input_type_shape?.[0] ?? {})[0] ?? [];
      const name = e.args?.op_name ?? '?';
      const op =
        name === 'MatMul' || name === 'FusedMatMul'
          ? `${name} (${firstShape.length === 5 ? 'attention' : 'linear'})`
          : name;
      byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
      kernel += e.dur;
    }
    const wall = stepRuns.reduce((n, r) => n + r.dur, 0);
    const perStep = (us: number) => `${(us / 1000 / stepRuns.length).toFixed(1)} ms`;
    const lines = [
      `${label}: ${stepRuns.length} steps after a ${prompt.length}-token prompt, model_run ${perStep(wall)} per step, kernels ${perStep(kernel)} (${((100 * kernel) / wall).toFixed(0)}%)`,
    ];
    for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 10))
      lines.push(`${label}:   ${op} ${perStep(us)} per step, ${((100 * us) / kernel).toFixed(1)}% of kernel time`);
    return lines;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
