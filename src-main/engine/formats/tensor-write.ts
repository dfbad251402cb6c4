// Writing float tensors as the files our readers (and numpy, safetensors, torch) read: safetensors
// (captured activation shards, exported vectors) and .npy version 1.0 (exported vectors). F32 or F16,
// little-endian, C order.
import { type FloatDtype, floatToHalf } from './dtype';

export type WriteDtype = Extract<FloatDtype, 'F32' | 'F16'>;

/** Little-endian bytes of `data` in `dtype`. */
export function encodeFloats(data: Float32Array, dtype: WriteDtype): Uint8Array {
  if (dtype === 'F32') {
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    return out;
  }
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, floatToHalf(data[i]), true);
  return out;
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
  dtype: WriteDtype;
}

const DTYPE_SIZE: Record<WriteDtype, number> = { F32: 4, F16: 2 };

/**
 * The head of a safetensors file (u64 header length, then the JSON header padded with spaces to 8
 * bytes) for tensors laid out one after another; their bytes follow it in the same order. Written
 * first, it lets a writer stream the data after it (capture writes a shard batch by batch).
 */
export function safetensorsHead(
  tensors: readonly Omit<TensorToWrite, 'data'>[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((n, d) => n * d, 1) * DTYPE_SIZE[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // The spec lets the header be padded with spaces; 8-byte alignment keeps the data aligned.
  while (json.length % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  return out;
}

/** A whole safetensors file in memory. */
export function safetensorsFileBytes(
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const head = safetensorsHead(tensors, metadata);
  const bodies = tensors.map((t) => encodeFloats(t.data, t.dtype));
  const out = new Uint8Array(head.length + bodies.reduce((n, b) => n + b.length, 0));
  out.set(head, 0);
  let p = head.length;
  for (const b of bodies) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/**
 * A .npy file, format version 1.0 (numpy.lib.format): magic, version, u16 header length, then an
 * ASCII dict literal padded with spaces and ended by '\n' so that magic + header is a multiple of 64.
 */
export function npyFileBytes(data: Float32Array, shape: readonly number[], dtype: WriteDtype): Uint8Array {
  const descr = dtype === 'F32' ? '<f4' : '<f2';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const preamble = 10;
  const total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  dict = `${dict.padEnd(total - preamble - 1, ' ')}\n`;
  const body = encodeFloats(data, dtype);
  const out = new Uint8Array(total + body.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), preamble);
  out.set(body, total);
  return out;
}
