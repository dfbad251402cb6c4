import { describe, expect, it } from 'vitest';
import { l2Norm } from '../../src-main/util/norm';

describe('l2Norm', () => {
  it('is the Euclidean length, also past the size Math.hypot(...v) can take', () => {
    expect(l2Norm(Float32Array.from([3, 4]))).toBe(5);
    const big = new Float32Array(300_000).fill(0.5);
    expect(() => Math.hypot(...big)).toThrow(RangeError);
    expect(l2Norm(big)).toBeCloseTo(Math.sqrt(300_000 * 0.25), 6);
  });
});
