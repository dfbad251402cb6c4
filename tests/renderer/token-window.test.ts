import { describe, expect, it } from 'vitest';
import { maxTokenIndex, tokenWindow } from '../../src-renderer/src/examples/token-window';

const tokens = (values: number[]) => values.map((value, i) => ({ token: `t${i}`, value }));

describe('token window', () => {
  it('shows short texts whole', () => {
    expect(tokenWindow(tokens([0, 1, 0]))).toEqual({
      start: 0,
      end: 3,
      maxIndex: 1,
      hiddenBefore: 0,
      hiddenAfter: 0,
      truncated: false,
    });
    // Up to size + 4 tokens: not worth a toggle.
    expect(tokenWindow(tokens(new Array(16).fill(0)), 12).truncated).toBe(false);
  });

  it('centres 12 tokens on the max, a third of them before it', () => {
    const values = new Array(100).fill(0);
    values[50] = 3;
    values[70] = 1;
    const w = tokenWindow(tokens(values));
    expect(w).toEqual({ start: 46, end: 58, maxIndex: 50, hiddenBefore: 46, hiddenAfter: 42, truncated: true });
    expect(w.end - w.start).toBe(12);
  });

  it('clamps at both ends of the text', () => {
    const early = new Array(40).fill(0);
    early[1] = 2;
    expect(tokenWindow(tokens(early))).toMatchObject({ start: 0, end: 12, hiddenBefore: 0, hiddenAfter: 28 });
    const late = new Array(40).fill(0);
    late[39] = 2;
    expect(tokenWindow(tokens(late))).toMatchObject({
      start: 28,
      end: 40,
      hiddenBefore: 28,
      hiddenAfter: 0,
      maxIndex: 39,
    });
  });

  it('takes the first of tied maxima, and the start when nothing fires', () => {
    expect(maxTokenIndex(tokens([0, 2, 1, 2]))).toBe(1);
    expect(maxTokenIndex(tokens([0, 0, -1]))).toBe(-1);
    expect(tokenWindow(tokens(new Array(30).fill(0)))).toMatchObject({
      start: 0,
      end: 12,
      maxIndex: -1,
      truncated: true,
    });
  });
});
