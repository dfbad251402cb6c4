// Snappy compression for the Parquet pages, written from Google's format description
// (https://github.com/google/snappy/blob/master/format_description.txt). hyparquet-writer's
// built-in compressor appends every tag and byte through a growable DataView writer; on a million
// judgements that was ~0.6 s of the Parquet export's main thread (issue 5). This one writes into
// one buffer sized for the worst case and copies literals in bulk.
//
// Format, as used here: a varint of the uncompressed length, then elements that each start with a
// tag byte whose low two bits give the kind:
//   00 literal: length-1 in the upper six bits when <= 60, else 60 + (bytes of length-1) - 1,
//      followed by length-1 little-endian in that many bytes; then the bytes themselves.
//   01 copy, 1-byte offset: length 4..11 as (length-4) << 2, offset bits 8..10 in the upper three
//      bits, then the offset's low byte (offset < 2048).
//   10 copy, 2-byte offset: (length-1) << 2 for length 1..64, then the offset, little-endian.
// A copy repeats `length` bytes from `offset` bytes back and may overlap what it writes.
//
// Matching: input is cut into 64 KiB blocks (so every offset fits in two bytes); within a block a
// hash of each 4-byte sequence remembers its last position, a hit that really matches is
// extended byte by byte, and after a run of misses positions are skipped faster (incompressible
// data is passed over quickly, as the reference implementation also does).

const BLOCK_BYTES = 1 << 16;
const HASH_BITS = 14;
const positions = new Int32Array(1 << HASH_BITS);

/** The worst case: every byte a literal, plus tags (format_description: 32 + n + n / 6). */
const maxCompressedBytes = (length: number) => 32 + length + Math.ceil(length / 6);

const load32 = (bytes: Uint8Array, at: number) =>
  bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
const hash32 = (value: number) => Math.imul(value, 0x1e35a7bd) >>> (32 - HASH_BITS);

export function snappyCompress(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedBytes(input.length));
  // The uncompressed length as a varint: seven bits a byte, low first, the top bit set on all but the last.
  let op = 0;
  let length = input.length;
  for (; length >= 0x80; length = Math.floor(length / 0x80)) out[op++] = (length & 0x7f) | 0x80;
  out[op++] = length;
  for (let start = 0; start < input.length; start += BLOCK_BYTES)
    op = compressBlock(input, start, Math.min(start + BLOCK_BYTES, input.length), out, op);
  return out.subarray(0, op);
}

function compressBlock(input: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  positions.fill(-1);
  const lastHashable = end - 4;
  let pending = start; // first byte not yet written
  let ip = start;
  let misses = 32;
  while (ip <= lastHashable) {
    const value = load32(input, ip);
    const slot = hash32(value);
    const candidate = positions[slot];
    positions[slot] = ip;
    if (candidate < 0 || load32(input, candidate) !== value) {
      ip += misses++ >> 5;
      continue;
    }
    let length = 4;
    while (ip + length + 4 <= end && load32(input, candidate + length) === load32(input, ip + length)) length += 4;
    while (ip + length < end && input[candidate + length] === input[ip + length]) length++;
    op = emitLiteral(input, pending, ip, out, op);
    op = emitCopy(ip - candidate, length, out, op);
    ip += length;
    pending = ip;
    misses = 32;
    // The position just before the next search is often where the next match starts.
    if (ip - 1 <= lastHashable) positions[hash32(load32(input, ip - 1))] = ip - 1;
  }
  return emitLiteral(input, pending, end, out, op);
}

function emitLiteral(input: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  const length = to - from;
  if (length === 0) return op;
  const stored = length - 1;
  if (stored < 60) {
    out[op++] = stored << 2;
  } else if (stored < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = stored;
  } else if (stored < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = stored & 0xff;
    out[op++] = stored >>> 8;
  } else {
    out[op++] = 62 << 2;
    out[op++] = stored & 0xff;
    out[op++] = (stored >>> 8) & 0xff;
    out[op++] = stored >>> 16;
  }
  if (length < 16) {
    for (let k = 0; k < length; k++) out[op + k] = input[from + k];
  } else {
    out.set(input.subarray(from, to), op);
  }
  return op + length;
}

function emitCopy(offset: number, length: number, out: Uint8Array, op: number): number {
  // Two-byte-offset copies hold at most 64 bytes; keep at least 4 for the last one.
  while (length >= 68) {
    op = emitCopy2(offset, 64, out, op);
    length -= 64;
  }
  if (length > 64) {
    op = emitCopy2(offset, 60, out, op);
    length -= 60;
  }
  if (length < 12 && offset < 2048) {
    out[op++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
    return op;
  }
  return emitCopy2(offset, length, out, op);
}

function emitCopy2(offset: number, length: number, out: Uint8Array, op: number): number {
  out[op++] = 2 | ((length - 1) << 2);
  out[op++] = offset & 0xff;
  out[op++] = offset >>> 8;
  return op;
}
