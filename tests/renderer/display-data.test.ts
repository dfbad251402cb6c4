import { describe, expect, it } from 'vitest';
import type { ExampleView } from '../../src-main/contract';
import { orderedExamples, showsActivations, textOf } from '../../src-renderer/src/rater/display-data';
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

  it('sees activations only where an example carries one: detection and intruder copies are all zeros', () => {
    const example = (maxActivation: number, token: number, patch: number): ExampleView => ({
      id: 0,
      documentId: 0,
      bucket: '',
      rank: 0,
      maxActivation,
      tokens: [{ token: 'a', value: token }],
      image: { sha256: 'f'.repeat(64), rows: 1, cols: 2, patches: [0, patch] },
    });
    expect(showsActivations([example(0, 0, 0), example(0, 0, 0)])).toBe(false);
    expect(showsActivations([])).toBe(false);
    expect(showsActivations([example(0, 0, 0), example(1, 0, 0)])).toBe(true);
    expect(showsActivations([example(0, 0.2, 0)])).toBe(true);
    expect(showsActivations([example(0, 0, 0.5)])).toBe(true);
    expect(showsActivations([{ ...example(0, 0, 0), tokens: null, image: null }])).toBe(false);
  });
});
