// Reading display blocks out of an item's payload. The payload is data from the project (model
// output, imported text): these helpers only pick values out; components render them as text.
import type { ExampleView, ShownQuestion } from '../../../src-main/contract';
import { optionKeys } from './rating-logic';

/** A payload value shown as text, or null when it is missing or not text-like. */
export function textOf(raw: unknown): string | null {
  return typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : null;
}

export function mediaShaOf(raw: unknown): string | null {
  return typeof raw === 'string' && /^[0-9a-f]{64}$/.test(raw) ? raw : null;
}

/** Examples from a payload field: an array, or an object with an `examples` array. */
export function examplesOf(raw: unknown): ExampleView[] | null {
  if (!raw || typeof raw !== 'object') return null;
  const list = Array.isArray(raw) ? raw : (raw as { examples?: unknown }).examples;
  return Array.isArray(list) ? (list.filter((entry) => entry && typeof entry === 'object') as ExampleView[]) : null;
}

/**
 * Whether any example carries an activation to highlight. Detection and intruder items are sent
 * with every value zeroed (highlights would give the answer away), so their cards show no heatmap
 * and no heatmap controls that would switch nothing.
 */
export function showsActivations(examples: readonly ExampleView[]): boolean {
  return examples.some(
    (example) =>
      example.maxActivation > 0 ||
      (example.tokens ?? []).some((token) => token.value > 0) ||
      (example.image?.patches ?? []).some((value) => value > 0),
  );
}

export interface KeyedExample {
  key: string;
  label: string;
  example: ExampleView;
}

/**
 * Examples in the order of a question's shown options (intruder, detection), each with the key that
 * picks it. The option value of an example is its `value`, else its `id`, else its position: the
 * same rule the server uses to build the options (domain/templates/show.ts).
 */
export function orderedExamples(raw: unknown, question: ShownQuestion | undefined): KeyedExample[] | null {
  const examples = examplesOf(raw);
  if (!examples) return null;
  if (!question || question.type === 'text' || question.type === 'scale') {
    return examples.map((example, index) => ({ key: '', label: `Example ${index + 1}`, example }));
  }
  const byValue = new Map<string, ExampleView>();
  examples.forEach((example, index) => {
    const record = example as unknown as Record<string, unknown>;
    byValue.set(String(record.value ?? record.id ?? index), example);
  });
  const keys = optionKeys(question);
  return question.options.flatMap((option, index) => {
    const example = byValue.get(option.value);
    return example ? [{ key: keys[index] ?? '', label: option.label, example }] : [];
  });
}
