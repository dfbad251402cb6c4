// Which template an imported results file is read with: the built-in named by --template, else
// the built-in whose questions the file's answer keys are, else one built from the data, so any
// results file can at least be analysed.
import path from 'node:path';
import type { QuestionSpec, TemplateSpec } from '../../contract/templates';
import { BUILTIN_TEMPLATES, builtinTemplate } from '../../domain/templates';
import { badFile } from '../../util/errors';
import type { ResultsTable } from './table';

export interface ChosenTemplate {
  template: TemplateSpec;
  inferred: boolean;
  /** The question id each answer key is read into (keys that are not valid ids are renamed). */
  questionFor: Map<string, string>;
}

const QUESTION_ID = /^[a-z][a-z0-9_]*$/;

function questionIdFor(key: string): string {
  const cleaned = key
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return QUESTION_ID.test(cleaned) ? cleaned : `q_${cleaned || 'answer'}`;
}

const TITLES: Record<ResultsTable['format'], string> = {
  mturk: 'MTurk',
  jsonl: 'JSONL',
  csv: 'CSV',
  'label-studio': 'Label Studio',
  parquet: 'Parquet',
  hf: 'Hugging Face',
};

/** A question built from the answers given: whole numbers -> scale, a small set of short repeated values -> choice, anything else -> text. */
function questionFromData(id: string, key: string, given: unknown[]): QuestionSpec {
  const values = given.filter((value) => value !== undefined && value !== null && value !== '');
  const prompt = key;
  const whole = (value: unknown) =>
    (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value));
  if (values.length > 0 && values.every(whole)) {
    // A loop, not Math.min(...numbers): a spread past ~125,000 answers overflows the call stack.
    let min = Infinity;
    let max = -Infinity;
    for (const value of values) {
      const number = Number(value);
      if (number < min) min = number;
      if (number > max) max = number;
    }
    return { id, type: 'scale', prompt, min, max, required: false };
  }
  const texts = values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value)));
  const distinct = [...new Set(texts)].sort();
  // A closed set: short labels, at most 12, and some answer given more than once (free text rarely repeats).
  if (
    distinct.length > 0 &&
    distinct.length <= 12 &&
    distinct.length < texts.length &&
    distinct.every((value) => value.length <= 60) &&
    values.every((value) => typeof value === 'string')
  ) {
    return { id, type: 'choice', prompt, options: distinct.map((value) => ({ value, label: value })), required: false };
  }
  return { id, type: 'text', prompt, required: false };
}

export function chooseTemplate(table: ResultsTable, templateId?: string): ChosenTemplate {
  const { answerKeys, file, names } = table;
  const same = new Map(answerKeys.map((key) => [key, key]));
  if (templateId) {
    const template = builtinTemplate(templateId);
    const ids = new Set(template.questions.map((question) => question.id));
    const unknown = answerKeys.filter((key) => !ids.has(key));
    if (unknown.length)
      throw badFile(
        file,
        unknown.map(names.answer).join(', '),
        `answers to the questions of template ${templateId} (${[...ids].join(', ')})`,
      );
    return { template, inferred: false, questionFor: same };
  }
  const builtins = Object.values(BUILTIN_TEMPLATES);
  const wanted = [...answerKeys].sort().join('\u0000');
  const exact = builtins.find(
    (template) =>
      template.questions
        .map((question) => question.id)
        .sort()
        .join('\u0000') === wanted,
  );
  if (exact) return { template: exact, inferred: true, questionFor: same };
  if (!table.answerKeysComplete && answerKeys.length > 0) {
    // Answer objects leave unanswered optional questions out: a built-in that has every key seen
    // is the study's template when it is the only one.
    const covering = builtins.filter((template) =>
      answerKeys.every((key) => template.questions.some((question) => question.id === key)),
    );
    if (covering.length === 1) return { template: covering[0], inferred: true, questionFor: same };
  }
  const questionFor = new Map(answerKeys.map((key) => [key, questionIdFor(key)]));
  const questions = answerKeys.map((key) =>
    questionFromData(
      questionFor.get(key)!,
      key,
      table.rows.map((row) => row.answers[key]),
    ),
  );
  const template: TemplateSpec = {
    id: `${table.format}-import`,
    version: 1,
    title: `Imported ${TITLES[table.format]} results (${path.basename(file)})`,
    display: table.payloadFields.map((field) => ({ type: 'text' as const, field })),
    questions,
  };
  return { template, inferred: true, questionFor };
}
