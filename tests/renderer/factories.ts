import type { ShownQuestion } from '../../src-main/contract';

export const choiceQuestion = (
  id: string,
  values: string[],
  extra: Partial<{ required: boolean; keys: string[]; multi: boolean }> = {},
): ShownQuestion => ({
  id,
  type: extra.multi ? 'multi' : 'choice',
  prompt: `Question ${id}`,
  options: values.map((value) => ({ value, label: value.toUpperCase() })),
  keys: extra.keys ?? values.map((_, index) => String(index + 1)),
  required: extra.required ?? true,
});

export const scaleQuestion = (id: string, min: number, max: number, required = true): ShownQuestion => ({
  id,
  type: 'scale',
  prompt: `Scale ${id}`,
  min,
  max,
  required,
});

export const textQuestion = (id: string, required = true): ShownQuestion => ({
  id,
  type: 'text',
  prompt: `Text ${id}`,
  required,
});
