import { describe, expect, it } from 'vitest';
import { orderedExamples, textOf } from '../../src-renderer/src/rater/display-data';
import { choiceQuestion } from './factories';

describe('display blocks', () => {
  it('reads text-like payload values and skips the rest', () => {
    expect(textOf('<b>hi</b>')).toBe('<b>hi</b>');
    expect(textOf(3)).toBe('3');
    expect(textOf(undefined)).toBeNull();
    expect(textOf({ a: 1 })).toBeNull();
  });

  it('orders examples by the shown options of a question, with their keys', () => {
    const examples = [
      { value: 'x', label: 'Example 1', tokens: null, image: null },
      { value: 'y', label: 'Example 2', tokens: null, image: null },
      { value: 'z', label: 'Example 3', tokens: null, image: null },
    ];
    const shown = choiceQuestion('intruder', ['z', 'x', 'y']);
    const ordered = orderedExamples(examples, shown)!;
    expect(ordered.map((entry) => [entry.key, (entry.example as unknown as { value: string }).value])).toEqual([
      ['1', 'z'],
      ['2', 'x'],
      ['3', 'y'],
    ]);
  });
});
