import type { OptionSpec, QuestionSpec, ShownQuestion, TemplateSpec } from '../contract/types';
import { AppError } from '../util/errors';
import { hashSeed, mulberry32, shuffleInPlace } from '../util/random';

const MODALITY_OPTIONS: OptionSpec[] = [
  { value: 'image', label: 'Image' },
  { value: 'text', label: 'Text' },
  { value: 'both', label: 'Both' },
  { value: 'neither', label: 'Neither' },
];

/** Built-in templates. A template is data; researchers' own templates use the same shape. */
export const BUILTIN_TEMPLATES: Record<string, TemplateSpec> = {
  'feature-label': {
    id: 'feature-label',
    version: 1,
    title: 'Label a feature',
    display: [{ type: 'feature', field: 'feature', label: 'Top examples' }],
    questions: [
      { id: 'label', type: 'text', prompt: 'What does this feature respond to?', required: true, placeholder: 'A short label' },
      { id: 'interpretability', type: 'scale', prompt: 'How interpretable is it?', min: 1, max: 5, minLabel: 'not at all', maxLabel: 'fully', required: true },
      { id: 'modality', type: 'choice', prompt: 'Which modality does it respond to?', options: MODALITY_OPTIONS, required: true },
    ],
  },
  // The paper's human evaluation: which of four concepts does the (steered) answer relate to?
  'concept-choice': {
    id: 'concept-choice',
    version: 1,
    title: 'Which concept?',
    display: [
      { type: 'image', field: 'image', label: 'Image' },
      { type: 'text', field: 'question', label: 'Question' },
      { type: 'text', field: 'answer', label: "Model's answer" },
    ],
    questions: [
      {
        id: 'concept',
        type: 'choice',
        prompt: 'Which concept is the answer about?',
        optionsFromPayload: 'options',
        shuffle: true,
        fixedTail: [{ value: 'none', label: 'None / unintelligible' }],
        required: true,
      },
    ],
  },
};

export function builtinTemplate(id: string): TemplateSpec {
  const template = BUILTIN_TEMPLATES[id];
  if (!template) throw new AppError('not_found', `template ${id}: unknown; built-in templates are ${Object.keys(BUILTIN_TEMPLATES).join(', ')}`);
  return template;
}

function optionsFor(question: Extract<QuestionSpec, { type: 'choice' }>, payload: Record<string, unknown>): OptionSpec[] {
  if (question.options) return question.options.map((option) => ({ ...option }));
  const field = question.optionsFromPayload ?? '';
  const labels = payload[field];
  if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string')) {
    throw new AppError('invalid_input', `item payload: field ${field}: expected an array of option labels for question ${question.id}`);
  }
  return (labels as string[]).map((label) => ({ value: label, label }));
}

/**
 * The questions exactly as one rater sees them for one item. Choice options are shuffled with a
 * seed derived from (rater seed, item id, question id), so the order is counterbalanced across
 * raters, reproducible, and stored with the assignment and every judgement.
 */
export function showQuestions(template: TemplateSpec, payload: Record<string, unknown>, raterSeed: number, itemId: number): ShownQuestion[] {
  return template.questions.map((question): ShownQuestion => {
    const required = question.required ?? true;
    if (question.type !== 'choice') return { ...question, required };
    const options = optionsFor(question, payload);
    if (question.shuffle) shuffleInPlace(options, mulberry32(hashSeed(raterSeed, itemId, question.id)));
    return { id: question.id, type: 'choice', prompt: question.prompt, options: [...options, ...(question.fixedTail ?? [])], required };
  });
}

/** Checks an answer against the questions as shown; returns a message naming the question, or null. */
export function answerProblem(questions: ShownQuestion[], answer: Record<string, string | number | null>): string | null {
  const known = new Set(questions.map((question) => question.id));
  for (const key of Object.keys(answer)) if (!known.has(key)) return `answer.${key}: not a question of this item`;
  for (const question of questions) {
    const value = answer[question.id] ?? null;
    if (value === null || value === '') {
      if (question.required) return `answer.${question.id}: required`;
      continue;
    }
    if (question.type === 'choice' && !question.options.some((option) => option.value === value)) {
      return `answer.${question.id}: expected one of ${question.options.map((option) => option.value).join(', ')}`;
    }
    if (question.type === 'scale' && (typeof value !== 'number' || !Number.isInteger(value) || value < question.min || value > question.max)) {
      return `answer.${question.id}: expected a whole number from ${question.min} to ${question.max}`;
    }
    if (question.type === 'text' && typeof value !== 'string') return `answer.${question.id}: expected text`;
  }
  return null;
}
