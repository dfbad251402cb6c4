import { describe, expect, it } from 'vitest';
import {
  formatPercent,
  intensity,
  progressText,
  quotedToken,
  tokenSegments,
  visibleToken,
} from '../../src-renderer/src/lib/format';

describe('tokens as drawn', () => {
  it('keeps spaces as spaces (no "·" separators) and shows newlines as ↵ and tabs as → in dim segments', () => {
    expect(visibleToken(' cat')).toBe(' cat');
    expect(visibleToken('\n')).toBe('↵');
    expect(visibleToken('a\tb')).toBe('a→b');
    expect(tokenSegments(' cat\n')).toEqual([
      { text: ' cat', whitespace: false, lineBreak: false },
      { text: '↵', whitespace: true, lineBreak: true },
    ]);
    expect(tokenSegments('   ')).toEqual([{ text: '   ', whitespace: false, lineBreak: false }]);
  });

  it('drops carriage returns', () => {
    expect(visibleToken('\r\n')).toBe('↵');
  });

  it('quotes a token exactly for tips, so leading spaces and newlines can be seen', () => {
    expect(quotedToken(' red')).toBe('" red"');
    expect(quotedToken('\n')).toBe('"\\n"');
    expect(quotedToken('say "hi"')).toBe('"say \\"hi\\""');
  });

  it('leaves markup-looking text as plain characters', () => {
    expect(visibleToken('<img src=x>')).toBe('<img src=x>');
  });

  it('keeps non-BMP characters whole', () => {
    expect(tokenSegments('🐱')).toEqual([{ text: '🐱', whitespace: false, lineBreak: false }]);
  });
});

describe('numbers', () => {
  it('clamps highlight intensity to 0..1', () => {
    expect(intensity(5, 10)).toBe(0.5);
    expect(intensity(20, 10)).toBe(1);
    expect(intensity(-1, 10)).toBe(0);
    expect(intensity(1, 0)).toBe(0);
  });

  it('formats progress and shares', () => {
    expect(progressText(3, 20)).toBe('3 / 20');
    expect(formatPercent(0.125)).toBe('12.5%');
    expect(formatPercent(0.00001)).toBe('<0.01%');
  });
});
