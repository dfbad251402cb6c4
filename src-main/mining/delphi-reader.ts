// Streams a delphi cache split (latents/cache.py save_splits): `locations` [N, 3] = (sequence,
// position, latent - split start) and `activations` [N], in chunks of typed arrays, so a split of
// any size is read in bounded memory and no per-firing objects are made.
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { INT_DTYPE_BYTES, openSafetensors, type SafetensorInfo } from '../engine/formats/safetensors';
import { badFile } from '../util/errors';

export interface DelphiChunk {
  n: number;
  sequence: Int32Array;
  position: Int32Array;
  /** latent index within the split (add the split's start for the SAE feature) */
  latent: Int32Array;
  value: Float32Array;
}

const HALF = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    t[h] = exp === 0 ? sign * frac * 2 ** -24 : exp === 0x1f ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

function readAt(fd: number, into: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const got = readSync(fd, into, done, into.byteLength - done, position + done);
    if (got === 0) throw badFile(file, 'data', `${into.byteLength} bytes at offset ${position}`, 'end of file (truncated since import?)');
    done += got;
  }
}

function readInts(bytes: Uint8Array, dtype: string, out: Int32Array): void {
  const b = bytes.buffer;
  const o = bytes.byteOffset;
  const n = out.length;
  switch (dtype) {
    case 'U8': for (let i = 0; i < n; i++) out[i] = bytes[i]; break;
    case 'I8': { const v = new Int8Array(b, o, n); for (let i = 0; i < n; i++) out[i] = v[i]; break; }
    case 'U16': { const v = new Uint16Array(b, o, n); for (let i = 0; i < n; i++) out[i] = v[i]; break; }
    case 'I16': { const v = new Int16Array(b, o, n); for (let i = 0; i < n; i++) out[i] = v[i]; break; }
    case 'U32': { const v = new Uint32Array(b, o, n); for (let i = 0; i < n; i++) out[i] = v[i]; break; }
    case 'I32': out.set(new Int32Array(b, o, n)); break;
    // Sequences, positions and latents fit 31 bits: the low word is the value (little-endian).
    case 'I64': case 'U64': { const v = new Int32Array(b, o, 2 * n); for (let i = 0; i < n; i++) out[i] = v[2 * i]; break; }
    default: throw new Error(`unsupported integer dtype ${dtype}`);
  }
}

function readFloats(bytes: Uint8Array, dtype: string, out: Float32Array, file: string): void {
  const n = out.length;
  if (dtype === 'F32') out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
  else if (dtype === 'F16') { const v = new Uint16Array(bytes.buffer, bytes.byteOffset, n); for (let i = 0; i < n; i++) out[i] = HALF[v[i]]; }
  else if (dtype === 'BF16') { const v = new Uint16Array(bytes.buffer, bytes.byteOffset, n); const u = new Uint32Array(out.buffer, out.byteOffset, n); for (let i = 0; i < n; i++) u[i] = v[i] << 16; }
  else throw badFile(file, 'activations.dtype', 'F32, F16 or BF16', dtype);
}

/** The chunks of one split, in file order; `chunk` locations at a time. */
export function* readDelphiSplit(file: string, chunk = 1 << 20): Generator<DelphiChunk> {
  const name = path.basename(file);
  const st = openSafetensors(file, { allowIntegers: true });
  const loc = st.tensors.get('locations') as SafetensorInfo | undefined;
  const act = st.tensors.get('activations') as SafetensorInfo | undefined;
  if (!loc || !act) throw badFile(name, loc ? 'activations' : 'locations', 'a tensor of the delphi cache', 'missing');
  const locWidth = INT_DTYPE_BYTES[loc.dtype as string];
  const actWidth = act.dtype === 'F32' ? 4 : 2;
  const total = act.shape[0];
  // Buffers are allocated once (8-byte aligned, so typed views need no copy).
  const locBytes = new Uint8Array(chunk * 3 * locWidth);
  const actBytes = new Uint8Array(chunk * actWidth);
  const triples = new Int32Array(chunk * 3);
  const out: DelphiChunk = { n: 0, sequence: new Int32Array(chunk), position: new Int32Array(chunk), latent: new Int32Array(chunk), value: new Float32Array(chunk) };
  const fd = openSync(file, 'r');
  try {
    for (let start = 0; start < total; start += chunk) {
      const n = Math.min(chunk, total - start);
      const lb = locBytes.subarray(0, n * 3 * locWidth);
      const ab = actBytes.subarray(0, n * actWidth);
      readAt(fd, lb, loc.fileOffset + start * 3 * locWidth, name);
      readAt(fd, ab, act.fileOffset + start * actWidth, name);
      readInts(lb, loc.dtype as string, triples.subarray(0, 3 * n));
      readFloats(ab, act.dtype as string, out.value.subarray(0, n), name);
      for (let i = 0; i < n; i++) {
        out.sequence[i] = triples[3 * i];
        out.position[i] = triples[3 * i + 1];
        out.latent[i] = triples[3 * i + 2];
      }
      out.n = n;
      yield out;
    }
  } finally {
    closeSync(fd);
  }
}
