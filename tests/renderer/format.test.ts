import { describe, expect, it } from 'vitest';
import { formatPercent, intensity, progressText, tokenSegments, visibleToken } from '../../src-renderer/src/lib/format';

describe('whitespace-visible tokens', () => {
  it('shows spaces as · and newlines as ↵ in dim segments', () => {
    expect(visibleToken(' cat')).toBe('·cat');
    expect(visibleToken('\n')).toBe('↵');
    expect(visibleToken('a\tb')).toBe('a→b');
    expect(tokenSegments(' cat\n')).toEqual([
      { text: '·', whitespace: true, lineBreak: false },
      { text: 'cat', whitespace: false, lineBreak: false },
      { text: '↵', whitespace: true, lineBreak: true },
    ]);
  });

  it('merges runs of spaces and drops carriage returns', () => {
    expect(tokenSegments('   ')).toEqual([{ text: '···', whitespace: true, lineBreak: false }]);
    expect(visibleToken('\r\n')).toBe('↵');
  });

  it('leaves markup-looking text as plain characters', () => {
    expect(visibleToken('<img src=x>')).toBe('<img·src=x>');
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
