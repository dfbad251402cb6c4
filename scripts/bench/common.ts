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

/** xorshift32 floats in [-scale, scale): fast enough to fill 1 GiB in a couple of seconds. */
export function fillUniform(out: Float32Array, state: { s: number }, scale: number): void {
  let s = state.s;
  const m = (2 * scale) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) * m - scale;
  }
  state.s = s;
}

/**
 * A safetensors file written tensor by tensor in chunks of `chunk` floats, F32 or BF16 (the top half
 * of each float32, truncated: how checkpoints such as TinyLlama's ship).
 */
export function writeSafetensorsStreamed(
  file: string,
  tensors: { name: string; shape: number[]; fill: (out: Float32Array) => void }[],
  chunk = 1 << 22,
  dtype: 'F32' | 'BF16' = 'F32',
): void {
  const bytesPer = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * bytesPer;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const fd = fs.openSync(file, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    const buf = new Float32Array(chunk);
    const words = new Uint16Array(buf.buffer);
    const half = new Uint16Array(chunk);
    for (const t of tensors) {
      let left = t.shape.reduce((a, b) => a * b, 1);
      while (left > 0) {
        const part = buf.subarray(0, Math.min(chunk, left));
        t.fill(part);
        if (dtype === 'F32') {
          fs.writeSync(fd, new Uint8Array(part.buffer, 0, part.byteLength));
        } else {
          for (let i = 0; i < part.length; i++) half[i] = words[2 * i + 1]; // little-endian: high word second
          fs.writeSync(fd, new Uint8Array(half.buffer, 0, part.length * 2));
        }
        left -= part.length;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
