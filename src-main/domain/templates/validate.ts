import { templateSchema, RESERVED_KEYS, type TemplateSpec } from '../../contract/templates';
import { AppError } from '../../util/errors';

/**
 * Parses a researcher's template (JSON text or value) and checks what the schema cannot:
 * unique question ids, scales with min < max, display references, and the key map: every answer
 * reachable by one key, no two options on one key, and no option on a key the workspace reserves.
 * Errors name the file and the field.
 */
export function parseTemplate(input: unknown, file = 'template'): TemplateSpec {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new AppError('bad_file', `${file}: expected JSON (${(error as Error).message})`, { file });
    }
  }
  const parsed = templateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('bad_file', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      file,
      issues: parsed.error.issues,
    });
  }
  const template = parsed.data;
  const problem = keyMapProblem(template);
  if (problem) throw new AppError('bad_file', `${file}: ${problem}`, { file });
  return template;
}

export function keyMapProblem(template: TemplateSpec): string | null {
  const ids = new Set<string>();
  for (const [index, question] of template.questions.entries()) {
    const where = `questions.${index} (${question.id})`;
    if (ids.has(question.id)) return `${where}: id: expected unique question ids`;
    ids.add(question.id);
    if (question.type === 'scale') {
      if (question.min >= question.max) return `${where}: expected min < max`;
      if (question.max - question.min + 1 > 9) return `${where}: expected at most 9 scale points (keys 1–9)`;
    }
    if (question.type === 'choice' || question.type === 'multi') {
      if (!question.options && !question.optionsFromPayload) return `${where}: expected options or optionsFromPayload`;
      const fixed = (question.options?.length ?? 0) + (question.fixedTail?.length ?? 0);
      if (question.keys) {
        if (new Set(question.keys).size !== question.keys.length) return `${where}: keys: two options share a key`;
        const reserved = question.keys.find((key) => (RESERVED_KEYS as readonly string[]).includes(key));
        if (reserved)
          return `${where}: keys: "${reserved}" is reserved by the rater workspace (${RESERVED_KEYS.join(' ')})`;
        if (question.options && question.keys.length < fixed)
          return `${where}: keys: ${fixed} options but ${question.keys.length} keys`;
      } else if (fixed > 9) {
        return `${where}: ${fixed} options but digit keys reach only 9; give explicit keys`;
      }
    }
  }
  for (const [index, block] of template.display.entries()) {
    if (block.type === 'examples' && block.orderFrom && !ids.has(block.orderFrom)) {
      return `display.${index}: orderFrom: expected one of the question ids (${[...ids].join(', ')})`;
    }
  }
  return null;
}
