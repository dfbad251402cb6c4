// Block quantisation for MatMulNBits (lm/quantise.ts) on hand-made blocks: the code layout ORT reads
// (low nibble first, blocks along K, zero point 2^(bits-1)), the rounding bound, and padding when K is
// not a multiple of the block size. The model-level check against ORT is tests/lm/precision.test.ts.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, dequantiseBlocks, quantiseBlocks } from '../../src-main/engine/lm/quantise.js';
import { randn, rng } from '../engine/fixtures.js';

describe('block quantisation', () => {
  it('int4: the largest-magnitude value maps to code 0 (-8), codes packed low nibble first', () => {
    // One row, one block: values -8..7 times 0.5, then zeros; the extreme is -4 so the scale is 0.5.
    const w = new Float32Array(BLOCK_SIZE);
    for (let i = 0; i < 16; i++) w[i] = (i - 8) * 0.5;
    const q = quantiseBlocks(w, 1, BLOCK_SIZE, 4);
    expect(Array.from(q.scales)).toEqual([0.5]);
    // value (i - 8) * 0.5 -> code i; byte j holds codes 2j (low) and 2j + 1 (high); zeros -> code 8.
    expect(Array.from(q.packed)).toEqual([
      0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88,
    ]);
    expect(Array.from(dequantiseBlocks(q))).toEqual(Array.from(w));
  });

  it('int8: a positive extreme gives a negative scale, codes one byte each', () => {
    const w = new Float32Array(BLOCK_SIZE);
    w[0] = 2.56;
    w[1] = -1.28;
    const q = quantiseBlocks(w, 1, BLOCK_SIZE, 8);
    expect(q.scales[0]).toBeCloseTo(-0.02, 7);
    expect(q.packed[0]).toBe(0); // 2.56 / -0.02 = -128
    expect(q.packed[1]).toBe(192); // -1.28 / -0.02 = 64, + 128
    expect(q.packed[2]).toBe(128);
  });

  for (const bits of [4, 8] as const) {
    it(`int${bits}: each value is within half a step of its block's scale (or clamped to the top code); K = 70 pads`, () => {
      const N = 5;
      const K = 70; // blocks of 32, 32 and 6 real values
      const w = randn(N * K, rng(bits), 0.3);
      const q = quantiseBlocks(w, N, K, bits);
      expect(q.blocksPerRow).toBe(3);
      expect(q.packed.length).toBe((N * 3 * BLOCK_SIZE * bits) / 8);
      const back = dequantiseBlocks(q);
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          const step = Math.abs(q.scales[n * 3 + Math.floor(k / BLOCK_SIZE)]);
          // The extreme takes the bottom code -2^(bits-1); a value of the other sign beyond the top
          // code 2^(bits-1) - 1 clamps there (by at most one step).
          const clampedBy = Math.abs(w[n * K + k]) - ((1 << (bits - 1)) - 1) * step;
          const bound = Math.max(step / 2, clampedBy);
          expect(bound).toBeLessThanOrEqual(step + 1e-7);
          expect(Math.abs(back[n * K + k] - w[n * K + k])).toBeLessThanOrEqual(bound + 1e-6);
        }
      }
      // Padding codes are the zero point: the last block's tail reads as 0.
      const zero = 1 << (bits - 1);
      const lastBlock = (0 * 3 + 2) * ((BLOCK_SIZE * bits) / 8);
      if (bits === 8) expect(q.packed[lastBlock + 31]).toBe(zero);
      else expect(q.packed[lastBlock + 15]).toBe(zero | (zero << 4));
    });
  }

  it('an all-zero block has scale 0 and reads back as zeros', () => {
    const q = quantiseBlocks(new Float32Array(BLOCK_SIZE), 1, BLOCK_SIZE, 4);
    expect(Array.from(dequantiseBlocks(q)).every((x) => x === 0)).toBe(true);
  });
});
