import type { OptionSpec, QuestionSpec, TemplateSpec } from '../../contract/templates';
import type { AnswerValue, ShownPair, ShownQuestion } from '../../contract/types';
import { AppError } from '../../util/errors';
import { hashSeed, mulberry32, shuffleInPlace } from '../../util/random';
import { blindFeatureBlock } from './blind-examples';

/** `${var}` references (MTurk style) resolve against the item's payload. */
export function interpolate(text: string, payload: Record<string, unknown>): string {
  return text.replace(/\$\{([A-Za-z0-9_.-]+)\}/g, (whole, name: string) => {
    const value = payload[name];
    return value === undefined || value === null ? whole : String(value);
  });
}

/** An item whose payload the template cannot show; details let an item file's importer name its row. */
const unshowable = (field: string, expected: string): AppError =>
  new AppError('invalid_input', `item payload: ${field}: expected ${expected}`, { field, expected });

/** Options from the payload; entries without a label get "Example n" by their shown position (after any shuffle). */
function payloadOptions(
  question: { id: string; optionsFromPayload?: string },
  payload: Record<string, unknown>,
): (OptionSpec & { unlabelled?: true })[] {
  const field = question.optionsFromPayload ?? '';
  const raw = payload[field];
  if (!Array.isArray(raw)) throw unshowable(field, `an array of options for question ${question.id}`);
  return raw.map((entry, index) => {
    if (typeof entry === 'string') return { value: entry, label: entry };
    if (entry && typeof entry === 'object') {
      const record = entry as Record<string, unknown>;
      const value = record.value ?? record.id ?? index;
      return record.label === undefined
        ? { value: String(value), label: '', unlabelled: true as const }
        : { value: String(value), label: String(record.label) };
    }
    throw unshowable(`${field}.${index}`, 'a string or an object with value/label');
  });
}

const digitKeys = (count: number): string[] => Array.from({ length: count }, (_, index) => String(index + 1));

/**
 * The questions exactly as one rater sees them for one item. Shuffled options use a seed derived
 * from (rater seed, item id, question id): counterbalanced across raters, reproducible, and stored
 * with the assignment and every judgement.
 */
export function showQuestions(
  template: TemplateSpec,
  payload: Record<string, unknown>,
  raterSeed: number,
  itemId: number,
): ShownQuestion[] {
  return template.questions.map((question: QuestionSpec): ShownQuestion => {
    const required = question.required ?? true;
    const prompt = interpolate(question.prompt, payload);
    if (question.type === 'scale' || question.type === 'text') return { ...question, prompt, required };
    const options: (OptionSpec & { unlabelled?: true })[] = question.options
      ? question.options.map((option) => ({ ...option, label: interpolate(option.label, payload) }))
      : payloadOptions(question, payload);
    if (question.shuffle) shuffleInPlace(options, mulberry32(hashSeed(raterSeed, itemId, question.id)));
    const labelled = options.map(({ unlabelled, ...option }, index) =>
      unlabelled ? { ...option, label: `Example ${index + 1}` } : option,
    );
    const all = [...labelled, ...(question.fixedTail ?? [])];
    const keys = question.keys ?? digitKeys(all.length);
    if (all.length > keys.length) {
      throw new AppError(
        'invalid_input',
        `question ${question.id}: ${all.length} options but only ${keys.length} keys`,
        {
          field: `question ${question.id}`,
          expected: `at most ${keys.length} options (one per key)`,
          found: `${all.length}`,
        },
      );
    }
    return { id: question.id, type: question.type, prompt, options: all, keys: keys.slice(0, all.length), required };
  });
}

/** Which side each pair display puts left, counterbalanced per rater and item. */
export function showPairs(template: TemplateSpec, raterSeed: number, itemId: number): ShownPair[] {
  return template.display.flatMap((block) =>
    block.type === 'pair'
      ? [
          {
            fields: block.fields,
            swapped: mulberry32(hashSeed(raterSeed, itemId, 'pair', block.fields.join('|')))() < 0.5,
          },
        ]
      : [],
  );
}

/**
 * The payload as one rater gets it: each pair display's fields hold their texts in display order
 * (fields[0] on the left). The swap is done here, on the server, so nothing the rater receives says
 * which text came from which field (e.g. which answer is the steered one); the sides stay recorded
 * in the assignment's shown pairs, and results and exports map left/right back through them.
 */
export function payloadAsShown(
  payload: Record<string, unknown>,
  pairs: readonly ShownPair[],
  display: TemplateSpec['display'],
): Record<string, unknown> {
  // Only the fields a display block shows: an item file's other columns (say a plain `k` or `model`
  // column an MTurk batch CSV carries) stay on the server. Prompts and options were resolved into
  // the shown questions already.
  const shown: Record<string, unknown> = {};
  for (const block of display) {
    for (const field of block.type === 'pair' ? block.fields : [block.field])
      if (Object.hasOwn(payload, field)) shown[field] = payload[field];
    // A feature block shows examples with highlights only: no index, ids or raw activations (issue 11).
    if (block.type === 'feature' && Object.hasOwn(shown, block.field))
      shown[block.field] = blindFeatureBlock(shown[block.field]);
  }
  for (const { fields, swapped } of pairs) {
    if (!swapped) continue;
    shown[fields[0]] = payload[fields[1]];
    shown[fields[1]] = payload[fields[0]];
  }
  return shown;
}

/** Checks an answer against the questions as shown; returns a message naming the question, or null. */
export function answerProblem(questions: ShownQuestion[], answer: Record<string, AnswerValue>): string | null {
  const known = new Set(questions.map((question) => question.id));
  for (const key of Object.keys(answer)) if (!known.has(key)) return `answer.${key}: not a question of this item`;
  for (const question of questions) {
    const value = answer[question.id] ?? null;
    const empty =
      value === null || value === '' || (Array.isArray(value) && value.length === 0 && question.type !== 'multi');
    if (empty) {
      if (question.required) return `answer.${question.id}: required`;
      continue;
    }
    const allowed =
      question.type === 'choice' || question.type === 'multi'
        ? new Set(question.options.map((option) => option.value))
        : null;
    if (question.type === 'choice' && (typeof value !== 'string' || !allowed!.has(value))) {
      return `answer.${question.id}: expected one of ${[...allowed!].join(', ')}`;
    }
    if (
      question.type === 'multi' &&
      (!Array.isArray(value) || value.some((entry) => !allowed!.has(entry)) || new Set(value).size !== value.length)
    ) {
      return `answer.${question.id}: expected a list of distinct values from ${[...allowed!].join(', ')}`;
    }
    if (
      question.type === 'scale' &&
      (typeof value !== 'number' || !Number.isInteger(value) || value < question.min || value > question.max)
    ) {
      return `answer.${question.id}: expected a whole number from ${question.min} to ${question.max}`;
    }
    if (question.type === 'text' && typeof value !== 'string') return `answer.${question.id}: expected text`;
  }
  return null;
}
