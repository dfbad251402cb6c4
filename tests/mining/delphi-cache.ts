// A generated delphi sparse cache (EleutherAI/delphi latents/cache.py save_splits): two splits,
// latents 0-7 (I64 locations + F32 activations) and 8-15 (U16 + F16), as delphi caches mix them.
import fs from 'node:fs';
import path from 'node:path';
import { f32ToF16Bits } from '../engine/fixtures';

export const SEQUENCES = 6;
export const SEQ_LEN = 10;
export const WIDTH = 16;

export interface Firing {
  b: number;
  p: number;
  latent: number;
  v: number;
}

type Raw = { name: string; dtype: string; shape: number[]; bytes: Uint8Array };

function rawSafetensors(file: string, tensors: Raw[]): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json), ...tensors.map((t) => Buffer.from(t.bytes))]));
}

/**
 * A cache of two splits (latents 0-7 and 8-15); every value is distinct and exact in F16. `tamper`
 * may edit a split's flat (sequence, position, latent - start) triples and activations in place
 * before they are written (same length, so the file keeps its size), to make bad caches.
 */
export function writeDelphiCache(
  dir: string,
  options: { tamper?: (start: number, loc: number[], act: number[]) => void } = {},
): Firing[] {
  fs.mkdirSync(dir, { recursive: true });
  const firings: Firing[] = [];
  let state = 7;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  let counter = 1;
  const tokens = new BigInt64Array(SEQUENCES * SEQ_LEN).map((_, i) => BigInt((i * 31) % 50));
  const splits: [number, number, 'I64' | 'U16', 'F32' | 'F16'][] = [
    [0, 7, 'I64', 'F32'],
    [8, 15, 'U16', 'F16'],
  ];
  for (const [start, end, locDtype, actDtype] of splits) {
    const here: Firing[] = [];
    for (let b = 0; b < SEQUENCES; b++)
      for (let p = 0; p < SEQ_LEN; p++)
        for (let l = start; l <= end; l++) if (random() < 0.3) here.push({ b, p, latent: l, v: counter++ / 64 });
    // delphi stores locations grouped by latent, not by token: shuffle to show order does not matter.
    here.sort((a, c) => a.latent - c.latent || c.v - a.v);
    // one zero activation: stored, but not a firing
    const stored = [...here, { b: 0, p: 0, latent: start, v: 0 }];
    const loc = stored.flatMap((f) => [f.b, f.p, f.latent - start]);
    const act = stored.map((f) => f.v);
    options.tamper?.(start, loc, act);
    const locBytes =
      locDtype === 'I64'
        ? new Uint8Array(BigInt64Array.from(loc.map(BigInt)).buffer)
        : new Uint8Array(Uint16Array.from(loc).buffer);
    const actBytes =
      actDtype === 'F32'
        ? new Uint8Array(Float32Array.from(act).buffer)
        : new Uint8Array(Uint16Array.from(act.map((v) => f32ToF16Bits(v))).buffer);
    rawSafetensors(path.join(dir, `${start}_${end}.safetensors`), [
      { name: 'locations', dtype: locDtype, shape: [stored.length, 3], bytes: locBytes },
      { name: 'activations', dtype: actDtype, shape: [stored.length], bytes: actBytes },
      { name: 'tokens', dtype: 'I64', shape: [SEQUENCES, SEQ_LEN], bytes: new Uint8Array(tokens.buffer) },
    ]);
    firings.push(...here);
  }
  return firings;
}
