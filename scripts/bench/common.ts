// Shared helpers for the benchmark scripts: machine description, percentiles, temp projects.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown cpu'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function tempProjectDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sightline-bench-${name}-`));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, `${name}.sightline`);
}

/** One figure per line: `bench <name>: <figure> = <value> <unit> (<shape>)`. */
export function figure(bench: string, name: string, value: number | string, unit = '', shape = ''): void {
  const shown = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value;
  console.log(`bench ${bench}: ${name} = ${shown}${unit ? ` ${unit}` : ''}${shape ? ` (${shape})` : ''}`);
}
