// What an imported results row says its worker saw: the questions and pair sides, in the order the
// file records (Sightline.ShownOrder, written by our exports), and which parts it does not record.
// Issue 11: the importer used to fill the gaps with a fresh per-rater shuffle, which changed the
// preferred text of ~40% of pairwise judgements on a round trip. Now an unrecorded part is marked
// unknown (shown-order.ts) and the options keep the template's order, which claims nothing.
import type { TemplateSpec } from '../contract/templates';
import type { ShownPair, ShownQuestion } from '../contract/types';
import { showQuestions } from '../domain/templates';
import { AppError, badFile } from '../util/errors';
import { PAIRS_KEY } from '../util/shown-order';

export interface ImportedShown {
  questions: ShownQuestion[];
  pairs: ShownPair[];
  /** Question ids (and PAIRS_KEY) whose order the file does not record; empty when it records all. */
  orderUnknown: string[];
}

export const SHOWN_ORDER_COLUMN = 'Sightline.ShownOrder';

/** Where a row is, and the file's names for its order and payload fields (they differ by format). */
export interface Where {
  file: string;
  /** "line 3", "row 4", "task 2, annotation 1". */
  at: string;
  /** e.g. "Sightline.ShownOrder" (MTurk) or "shown_order". */
  orderField: string;
  /** e.g. "Input." (MTurk) or "payload.". */
  payloadPrefix: string;
}

/** The template with every shuffle off: its questions in the order the template writes them. */
export function unshuffled(template: TemplateSpec): TemplateSpec {
  return {
    ...template,
    questions: template.questions.map((question) =>
      'shuffle' in question ? { ...question, shuffle: false } : question,
    ),
  };
}

/** Questions for one row's payload in template order; a payload the template cannot show is the file's fault. */
function templateQuestions(template: TemplateSpec, payload: Record<string, unknown>, where: Where): ShownQuestion[] {
  try {
    return showQuestions(template, payload, 0, 0);
  } catch (error) {
    // showQuestions names the payload field ("item payload: options: ..."); the file has it as e.g. Input.<field>.
    if (error instanceof AppError)
      throw new AppError(
        'bad_file',
        `${where.file}: ${where.at}: ${error.message.replace(/^item payload: /, where.payloadPrefix)}`,
        { file: where.file, at: where.at },
      );
    throw error;
  }
}

/**
 * Payload options without a label are shown as "Example n" by their shown position
 * (templates/show.ts); after putting the options in the recorded order, number them again.
 */
function relabelExamples(
  template: TemplateSpec,
  question: Extract<ShownQuestion, { options: unknown }>,
  payload: Record<string, unknown>,
): void {
  const spec = template.questions.find((entry) => entry.id === question.id);
  const raw =
    spec && 'optionsFromPayload' in spec && spec.optionsFromPayload ? payload[spec.optionsFromPayload] : undefined;
  if (!Array.isArray(raw)) return;
  const unlabelled = new Set(
    raw.flatMap((entry, index) =>
      entry && typeof entry === 'object' && (entry as Record<string, unknown>).label === undefined
        ? [String((entry as Record<string, unknown>).value ?? (entry as Record<string, unknown>).id ?? index)]
        : [],
    ),
  );
  question.options = question.options.map((option, index) =>
    unlabelled.has(option.value) ? { ...option, label: `Example ${index + 1}` } : option,
  );
}

const sameList = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((value, index) => value === b[index]);

/**
 * A recorded order as text formats hold it (a CSV cell): empty (or "null") when the file records
 * no order, else JSON as shown-order.ts writes it. Text that is not JSON is refused.
 */
export function parseOrderText(text: string, where: Where): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw badFile(
      where.file,
      `${where.at}: ${where.orderField}`,
      'a JSON object of option orders',
      JSON.stringify(text.slice(0, 80)),
    );
  }
}

/**
 * The shown questions and sides for one row. `recorded` is the row's recorded order (parsed):
 * null or undefined when the file records none, else an object as shown-order.ts writes it.
 * A recorded order that does not fit the template is refused, naming the row and field: it
 * would otherwise be read as some other screen than the one the rater saw.
 */
export function importedShown(
  template: TemplateSpec,
  payload: Record<string, unknown>,
  recorded: unknown,
  where: Where,
): ImportedShown {
  const questions = templateQuestions(unshuffled(template), payload, where);
  const pairBlocks = template.display.flatMap((block) => (block.type === 'pair' ? [block.fields] : []));
  const ordered = questions.filter(
    (question): question is Extract<ShownQuestion, { options: unknown }> =>
      question.type === 'choice' || question.type === 'multi',
  );
  const refuse = (expected: string, found?: string) =>
    badFile(where.file, `${where.at}: ${where.orderField}`, expected, found);
  if (recorded !== null && recorded !== undefined && (typeof recorded !== 'object' || Array.isArray(recorded)))
    throw refuse('a JSON object of option orders', JSON.stringify(recorded)?.slice(0, 80));
  const order = (recorded ?? {}) as Record<string, unknown>;
  const orderable = new Set([...ordered.map((question) => question.id), ...(pairBlocks.length ? [PAIRS_KEY] : [])]);
  for (const key of Object.keys(order))
    if (!orderable.has(key))
      throw refuse(
        `keys from ${[...orderable].join(', ') || '(none: this template has no choices or pairs)'}`,
        JSON.stringify(key),
      );

  const orderUnknown: string[] = [];
  for (const question of ordered) {
    const values = order[question.id];
    if (values === undefined || values === null) {
      orderUnknown.push(question.id);
      continue;
    }
    const byValue = new Map(question.options.map((option) => [option.value, option]));
    const valid =
      Array.isArray(values) &&
      values.length === byValue.size &&
      new Set(values).size === values.length &&
      values.every((value) => typeof value === 'string' && byValue.has(value));
    if (!valid)
      throw refuse(
        `${question.id}: the options ${[...byValue.keys()].join(', ')} in some order`,
        JSON.stringify(values),
      );
    question.options = (values as string[]).map((value) => byValue.get(value)!);
    relabelExamples(template, question, payload);
  }

  let pairs: ShownPair[] = [];
  if (pairBlocks.length) {
    const sides = order[PAIRS_KEY];
    if (sides === undefined || sides === null) orderUnknown.push(PAIRS_KEY);
    else {
      const expected = `${PAIRS_KEY}: ${pairBlocks.map((fields) => `[${fields.join(', ')}] in either order`).join('; ')}`;
      if (!Array.isArray(sides) || sides.length !== pairBlocks.length) throw refuse(expected, JSON.stringify(sides));
      pairs = pairBlocks.map((fields, index) => {
        const shown = sides[index];
        if (Array.isArray(shown) && sameList(shown, fields)) return { fields, swapped: false };
        if (Array.isArray(shown) && sameList(shown, [fields[1], fields[0]])) return { fields, swapped: true };
        throw refuse(expected, JSON.stringify(sides));
      });
    }
  }
  return { questions, pairs, orderUnknown };
}
