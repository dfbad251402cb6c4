import { describe, expect, it } from 'vitest';
import { orderedExamples, pairSides, textOf } from '../../src-renderer/src/rater/display-data';
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

  it('puts pair sides in the counterbalanced order: fields in template order, swapped puts fields[1] left', () => {
    const block = { type: 'pair' as const, fields: ['a', 'b'] as [string, string] };
    expect(pairSides(block, [{ fields: ['a', 'b'], swapped: false }])).toEqual(['a', 'b']);
    expect(pairSides(block, [{ fields: ['a', 'b'], swapped: true }])).toEqual(['b', 'a']);
    expect(pairSides(block, [])).toEqual(['a', 'b']);
    expect(pairSides(block, undefined)).toEqual(['a', 'b']);
  });

  it('matches each pair display to its own entry when a template has two', () => {
    const first = { type: 'pair' as const, fields: ['a', 'b'] as [string, string] };
    const second = { type: 'pair' as const, fields: ['c', 'd'] as [string, string] };
    const pairs = [
      { fields: ['a', 'b'] as [string, string], swapped: false },
      { fields: ['c', 'd'] as [string, string], swapped: true },
    ];
    expect(pairSides(first, pairs)).toEqual(['a', 'b']);
    expect(pairSides(second, pairs)).toEqual(['d', 'c']);
  });
});
