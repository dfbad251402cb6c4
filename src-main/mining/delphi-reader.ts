// Streams a delphi cache split (latents/cache.py save_splits): `locations` [N, 3] = (sequence,
// position, latent - split start) and `activations` [N], in chunks of typed arrays, so a split of
// any size is read in bounded memory and no per-firing objects are made. Every location is checked
// against the tokens' shape and the split's latents and every activation must be finite, here, so
// import (which reads each split once through this) and mining (which may meet a file changed since)
// share one rule: a negative latent once made mining loop forever (issue 11).
import { closeSync, readSync } from 'node:fs';
import path from 'node:path';
import {
  INT_DTYPE_BYTES,
  openSafetensors,
  type SafetensorInfo,
  type SafetensorsFile,
} from '../engine/formats/safetensors';
import { badFile } from '../util/errors';
import { openRegularFile } from '../util/regular-file';

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
    t[h] =
      exp === 0
        ? sign * frac * 2 ** -24
        : exp === 0x1f
          ? frac
            ? NaN
            : sign * Infinity
          : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

function readAt(fd: number, into: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const got = readSync(fd, into, done, into.byteLength - done, position + done);
    if (got === 0)
      throw badFile(
        file,
        'data',
        `${into.byteLength} bytes at offset ${position}`,
        'end of file (truncated since import?)',
      );
    done += got;
  }
}

/** Where a split's locations may point: sequences and positions of the tokens, latents of the split. */
export interface DelphiBounds {
  sequences: number;
  seqLen: number;
  /** latents in the split (end - start + 1) */
  latents: number;
}

/**
 * Decodes integers into Int32. A value outside 0 .. 2^31-1 comes out negative (U32 wraps, 64-bit
 * values with a high word become -1), so one `< 0` test refuses it; the error re-reads the exact value.
 */
function readInts(bytes: Uint8Array, dtype: string, out: Int32Array): void {
  const b = bytes.buffer;
  const o = bytes.byteOffset;
  const n = out.length;
  switch (dtype) {
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = bytes[i];
      break;
    case 'I8': {
      const v = new Int8Array(b, o, n);
      for (let i = 0; i < n; i++) out[i] = v[i];
      break;
    }
    case 'U16': {
      const v = new Uint16Array(b, o, n);
      for (let i = 0; i < n; i++) out[i] = v[i];
      break;
    }
    case 'I16': {
      const v = new Int16Array(b, o, n);
      for (let i = 0; i < n; i++) out[i] = v[i];
      break;
    }
    case 'U32': {
      const v = new Uint32Array(b, o, n);
      for (let i = 0; i < n; i++) out[i] = v[i];
      break;
    }
    case 'I32':
      out.set(new Int32Array(b, o, n));
      break;
    // Sequences, positions and latents fit 31 bits: the low word is the value (little-endian) when the high word is 0.
    case 'I64':
    case 'U64': {
      const v = new Int32Array(b, o, 2 * n);
      for (let i = 0; i < n; i++) out[i] = v[2 * i + 1] === 0 ? v[2 * i] : -1;
      break;
    }
    default:
      throw new Error(`unsupported integer dtype ${dtype}`);
  }
}

/** The exact integer at element `i` of `bytes`, for error messages. */
function exactInt(bytes: Uint8Array, dtype: string, i: number): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = INT_DTYPE_BYTES[dtype];
  const at = i * width;
  const signed = dtype.startsWith('I');
  if (width === 8) return String(signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true));
  if (width === 4) return String(signed ? view.getInt32(at, true) : view.getUint32(at, true));
  if (width === 2) return String(signed ? view.getInt16(at, true) : view.getUint16(at, true));
  return String(signed ? view.getInt8(at) : view.getUint8(at));
}

function readFloats(bytes: Uint8Array, dtype: string, out: Float32Array, file: string): void {
  const n = out.length;
  if (dtype === 'F32') out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
  else if (dtype === 'F16') {
    const v = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = HALF[v[i]];
  } else if (dtype === 'BF16') {
    const v = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    const u = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) u[i] = v[i] << 16;
  } else throw badFile(file, 'activations.dtype', 'F32, F16 or BF16', dtype);
}

export interface DelphiSplit {
  st: SafetensorsFile;
  locations: SafetensorInfo;
  activations: SafetensorInfo;
  /** the token ids [n_sequences, seq_len] when the split holds them */
  tokens?: SafetensorInfo;
}

/** Opens a split and checks its tensors' shapes and dtypes (the values are checked as they stream). */
export function openDelphiSplit(file: string): DelphiSplit {
  const name = path.basename(file);
  const { fd } = openRegularFile(file, { file: name, field: '(file)' });
  closeSync(fd);
  const st = openSafetensors(file, { allowIntegers: true });
  const loc = st.tensors.get('locations');
  const act = st.tensors.get('activations');
  if (!loc || loc.shape.length !== 2 || loc.shape[1] !== 3)
    throw badFile(
      name,
      'locations',
      'shape [N, 3] (sequence, position, latent)',
      loc ? `[${loc.shape.join(', ')}]` : 'missing',
    );
  if (!INT_DTYPE_BYTES[loc.dtype])
    throw badFile(name, 'locations.dtype', 'an integer dtype (U16, U32, I32, I64)', loc.dtype);
  if (!act || act.shape.length !== 1 || act.shape[0] !== loc.shape[0])
    throw badFile(
      name,
      'activations',
      `shape [${loc.shape[0]}] (one per location)`,
      act ? `[${act.shape.join(', ')}]` : 'missing',
    );
  if (!['F32', 'F16', 'BF16'].includes(act.dtype))
    throw badFile(name, 'activations.dtype', 'F32, F16 or BF16', act.dtype);
  const tokens = st.tensors.get('tokens');
  return { st, locations: loc, activations: act, ...(tokens ? { tokens } : {}) };
}

/** The chunks of one split, in file order, `chunk` locations at a time; a location or value out of bounds is a bad_file error. */
export function* readDelphiSplit(file: string, bounds: DelphiBounds, chunk = 1 << 20): Generator<DelphiChunk> {
  const name = path.basename(file);
  const { locations: loc, activations: act } = openDelphiSplit(file);
  const locWidth = INT_DTYPE_BYTES[loc.dtype];
  const actWidth = act.dtype === 'F32' ? 4 : 2;
  const total = act.shape[0];
  const size = Math.max(1, Math.min(chunk, total));
  // Buffers are allocated once (8-byte aligned, so typed views need no copy).
  const locBytes = new Uint8Array(size * 3 * locWidth);
  const actBytes = new Uint8Array(size * actWidth);
  const triples = new Int32Array(size * 3);
  const out: DelphiChunk = {
    n: 0,
    sequence: new Int32Array(size),
    position: new Int32Array(size),
    latent: new Int32Array(size),
    value: new Float32Array(size),
  };
  const { fd } = openRegularFile(file, { file: name, field: '(file)' });
  try {
    for (let start = 0; start < total; start += size) {
      const n = Math.min(size, total - start);
      const lb = locBytes.subarray(0, n * 3 * locWidth);
      const ab = actBytes.subarray(0, n * actWidth);
      readAt(fd, lb, loc.fileOffset + start * 3 * locWidth, name);
      readAt(fd, ab, act.fileOffset + start * actWidth, name);
      readInts(lb, loc.dtype, triples.subarray(0, 3 * n));
      readFloats(ab, act.dtype, out.value.subarray(0, n), name);
      for (let i = 0; i < n; i++) {
        const s = (out.sequence[i] = triples[3 * i]);
        const p = (out.position[i] = triples[3 * i + 1]);
        const l = (out.latent[i] = triples[3 * i + 2]);
        if (s < 0 || s >= bounds.sequences || p < 0 || p >= bounds.seqLen || l < 0 || l >= bounds.latents) {
          const found = [0, 1, 2].map((k) => exactInt(lb, loc.dtype, 3 * i + k)).join(', ');
          throw badFile(
            name,
            `locations[${start + i}]`,
            `sequence 0..${bounds.sequences - 1}, position 0..${bounds.seqLen - 1}, latent 0..${bounds.latents - 1} (the tokens' shape and the split's latents)`,
            `(${found})`,
          );
        }
        const v = out.value[i];
        if (!Number.isFinite(v)) throw badFile(name, `activations[${start + i}]`, 'a finite number', String(v));
      }
      out.n = n;
      yield out;
    }
  } finally {
    closeSync(fd);
  }
}
