// Our Snappy compressor (export/snappy.ts) against an independent decompressor: hyparquet's, the
// reader the Parquet tests use. Inputs cover the format's cases: empty and tiny inputs, literals
// of every length encoding, both copy encodings, overlapping copies (runs), several 64 KiB blocks
// and incompressible data.
import { snappyUncompress } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { snappyCompress } from '../../src-main/export/snappy';

function roundTrip(input: Uint8Array): Uint8Array {
  const compressed = snappyCompress(input);
  const output = new Uint8Array(input.length);
  snappyUncompress(compressed, output);
  expect(Buffer.from(output).equals(Buffer.from(input))).toBe(true);
  return compressed;
}

/** Bytes from a small linear congruential generator: deterministic and incompressible. */
function noise(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

const text = (value: string) => new TextEncoder().encode(value);

describe('snappyCompress', () => {
  it('round-trips empty and tiny inputs', () => {
    for (const input of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'aaaaaaaa']) roundTrip(text(input));
  });

  it('writes the uncompressed length as a varint (format_description: 2097150 is FE FF 7F)', () => {
    expect([...snappyCompress(new Uint8Array(64)).subarray(0, 1)]).toEqual([0x40]);
    expect([...snappyCompress(new Uint8Array(2097150)).subarray(0, 3)]).toEqual([0xfe, 0xff, 0x7f]);
  });

  it('round-trips literals of every length encoding (1 to 4 length bytes)', () => {
    for (const length of [1, 15, 16, 60, 61, 255, 256, 257, 65535, 65536, 70000]) roundTrip(noise(length, length));
  });

  it('round-trips repetitive data and compresses it (both copy encodings, overlapping runs)', () => {
    const rows = Array.from(
      { length: 5000 },
      (_, i) => `{"concept":"${['zebra', 'goldfish', 'volcano'][i % 3]}","k":${i % 7},"layer":${10 + (i % 3) * 5}}`,
    ).join('\x1e');
    const json = text(rows);
    expect(roundTrip(json).length).toBeLessThan(json.length / 4);
    const run = new Uint8Array(100_000).fill(7); // offset 1, copies far longer than 64 bytes
    expect(roundTrip(run).length).toBeLessThan(5000);
    // A repeat 3000 bytes back: beyond the 1-byte-offset copies' 2047.
    const far = new Uint8Array(9000);
    far.set(noise(3000, 3), 0);
    far.set(noise(3000, 3), 3000);
    far.set(noise(3000, 3), 6000);
    expect(roundTrip(far).length).toBeLessThan(4000);
  });

  it('round-trips inputs of several blocks, mixed and incompressible', () => {
    const mixed = new Uint8Array(300_000);
    for (let at = 0; at < mixed.length; at += 1000)
      mixed.set(at % 3000 === 0 ? noise(1000, at) : text(`row ${at % 7} `.repeat(100)).subarray(0, 1000), at);
    roundTrip(mixed);
    const random = noise(1 << 20, 9);
    expect(roundTrip(random).length).toBeLessThanOrEqual(32 + random.length + random.length / 6);
  });
});
