// ORT profiler files of bench:capture's sessions read back: kernel time per operator type (MatMuls apart
// by shape, with the GFLOP/s each reached), and the matrix-product FLOPs the kernels actually ran, which
// tests/vision/bench-capture.test.ts holds captureFlops' formula to.
import fs from 'node:fs';

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: {
    op_name?: string;
    input_type_shape?: Record<string, number[]>[];
    output_type_shape?: Record<string, number[]>[];
  };
}

const product = (xs: number[]) => xs.reduce((n, x) => n * x, 1);

/**
 * FLOPs of one kernel from its shapes, 2 per multiply-add; 0 for elementwise ops. MatMul-like: 2 x output
 * elements x the inner dimension, A's last (the graphs never transpose A; ORT lists only A's shape for a
 * MatMul whose B it prepacked). Conv (the patch embedding, stride = kernel): 2 x output elements x
 * in-channels x kernel area, the kernel side being the input side over the output side.
 */
export function kernelFlops(op: string, inputs: number[][], output: number[] | undefined): number {
  const a = inputs[0];
  if (!a || !output) return 0;
  if (op === 'MatMul' || op === 'FusedMatMul' || op === 'Gemm') return 2 * product(output) * a[a.length - 1];
  if (op === 'Conv') return 2 * product(output) * a[1] * (a[2] / output[2]) * (a[3] / output[3]);
  return 0;
}

interface OpTotal {
  us: number;
  flops: number;
}

interface ProfileSummary {
  runs: number;
  /** model_run wall time, µs, all runs */
  wallUs: number;
  kernelUs: number;
  /** by operator type, MatMul-like kernels by shape */
  byOp: Map<string, OpTotal>;
  /** matrix-product FLOPs over all runs */
  flops: number;
}

export function summariseProfile(file: string): ProfileSummary {
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as ProfileEvent[];
  const runs = events.filter((e) => e.name === 'model_run');
  const byOp = new Map<string, OpTotal>();
  let kernelUs = 0;
  let flops = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const inputs = (e.args?.input_type_shape ?? []).map((x) => Object.values(x)[0] ?? []);
    const output = Object.values(e.args?.output_type_shape?.[0] ?? {})[0];
    const f = kernelFlops(op, inputs, output);
    const key =
      f > 0 && op !== 'Conv'
        ? `${op} ${inputs.map((x) => `[${x.join(',')}]`).join(' x ')} -> [${output?.join(',')}]`
        : op;
    const entry = byOp.get(key) ?? { us: 0, flops: 0 };
    entry.us += e.dur;
    entry.flops += f;
    byOp.set(key, entry);
    kernelUs += e.dur;
    flops += f;
  }
  return { runs: runs.length, wallUs: runs.reduce((n, r) => n + r.dur, 0), kernelUs, byOp, flops };
}

/** One line per operator type (the `top` largest), per run. */
export function kernelTimeByOp(file: string, label: string, top = 14): string[] {
  const p = summariseProfile(file);
  const perRun = (us: number) => `${(us / 1000 / p.runs).toFixed(0)} ms`;
  return [
    `${label}: ${p.runs} runs, model_run ${perRun(p.wallUs)} per run, kernels ${perRun(p.kernelUs)} (${((100 * p.kernelUs) / p.wallUs).toFixed(0)}%)`,
    ...[...p.byOp]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(
        ([op, { us, flops }]) =>
          `${label}:   ${op} ${perRun(us)} per run, ${((100 * us) / p.kernelUs).toFixed(1)}%${flops > 0 ? `, ${(flops / 1e3 / us).toFixed(1)} GFLOP/s` : ''}`,
      ),
  ];
}
