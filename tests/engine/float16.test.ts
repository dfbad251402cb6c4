// floatToHalf (engine/formats/dtype.ts), the one float32 → binary16 rounding that fp16 weights,
// F16 capture shards, exported vectors and the test fixtures all write with, held against IEEE 754
// binary16 values worked out by hand: round to nearest, ties to even, overflow to Inf, subnormals.
import { describe, expect, it } from 'vitest';
import { decodeFloats, floatToHalf } from '../../src-main/engine/formats/dtype';
import { encodeFloats } from '../../src-main/engine/formats/tensor-write';

describe('floatToHalf', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // the largest finite half
    [65519, 0x7bff], // below the midpoint to 65536: stays finite
    [65520, 0x7c00], // the midpoint ties to even, which is Inf
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // the smallest normal
    [2 ** -24, 0x0001], // the smallest subnormal
    [2 ** -25, 0x0000], // halfway to it: ties to even (zero)
    [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal units: ties to even (2)
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between the next two: ties to even (up)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway: up
  ])('float %s → half bits %i', (value, bits) => {
    expect(floatToHalf(value)).toBe(bits);
  });

  it('keeps NaN a NaN', () => {
    expect(floatToHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToHalf(NaN) & 0x3ff).not.toBe(0);
  });

  it('round-trips every finite half through the F16 writer and reader', () => {
    const values = new Float32Array(0x7c00);
    for (let h = 0; h < 0x7c00; h++) values[h] = decodeFloats(Uint8Array.of(h & 0xff, h >> 8), 'F16')[0];
    expect(Array.from(decodeFloats(encodeFloats(values, 'F16'), 'F16'))).toEqual(Array.from(values));
  });
});
