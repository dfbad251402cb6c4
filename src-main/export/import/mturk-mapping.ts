// Old MTurk batches with a built-in template (issue 15): `import-results --format mturk --template
// concept-choice --mapping MAP.json`. The batch's HIT layout had its own variable names
// (Input.og_class, Answer.choice); the mapping says which Input.* columns make the template's
// payload and hidden fields (the same column mapping `campaign create --items` reads, so the
// steering roles fill k / source_class / target_class / layer alike) and which Answer.* column
// answers each question.
import { z } from 'zod';
import { columnMappingSchema } from '../../contract/campaign-create';
import type { TemplateSpec } from '../../contract/templates';
import { type ColumnMapping, rowsToItems } from '../../domain/campaigns/mapping';
import type { NewItem } from '../../store/campaigns';
import { badFile } from '../../util/errors';
import { parseJsonWith } from '../../util/json-text';
import { HIDDEN_PREFIX, INPUT_PREFIX } from '../mturk-format';

export const resultsMappingSchema = columnMappingSchema.extend({
  /** Question id -> the column holding its answer, e.g. {"concept": "Answer.choice"}. */
  answers: z.record(z.string(), z.string()).optional(),
});
export type ResultsMapping = z.infer<typeof resultsMappingSchema>;

export const RESULTS_MAPPING_EXPECTED =
  'a results mapping {answers, payload, hidden, gold, expected, steering, condition, kind}: answers maps a question id to an Answer.* column; the other fields name a column, a list of columns or {"const": value}';

/** The --mapping file, checked: a mistake names the file, line and column. */
export function parseResultsMapping(text: string, file: string): ResultsMapping {
  return parseJsonWith(text, file, resultsMappingSchema, RESULTS_MAPPING_EXPECTED);
}

/** What the mapping reads for each item: the named fields, else Input.* as payload and Hidden.* as hidden (the file's own names). */
function itemMapping(mapping: ResultsMapping, header: readonly string[]): ColumnMapping {
  const { answers: _answers, ...items } = mapping;
  const byPrefix = (prefix: string) =>
    Object.fromEntries(
      header.filter((name) => name.startsWith(prefix)).map((name) => [name.slice(prefix.length), name]),
    );
  return {
    ...items,
    payload: items.payload ?? byPrefix(INPUT_PREFIX),
    hidden: items.hidden ?? byPrefix(HIDDEN_PREFIX),
  };
}

/** Which column answers each question: the mapping's answers, else Answer.<question>. */
export function answerColumns(
  mapping: ResultsMapping,
  header: readonly string[],
  file: string,
  defaults: Record<string, string>,
): Record<string, string> {
  const answers = mapping.answers ?? defaults;
  for (const [question, column] of Object.entries(answers))
    if (!header.includes(column))
      throw badFile(
        file,
        `column ${column}`,
        `a column named in the mapping (answers.${question}; the file has ${header.join(', ')})`,
      );
  return answers;
}

/**
 * One item per HIT from its first row, read through the mapping; errors name the file's line and
 * column ("line 4: Input.k: expected a number (the steering strength)").
 */
export function mappedItems(
  firstRows: { line: number; cells: Record<string, string> }[],
  header: readonly string[],
  template: TemplateSpec,
  file: string,
  mapping: ResultsMapping,
): NewItem[] {
  return rowsToItems(
    firstRows.map((row) => row.cells),
    template,
    file,
    itemMapping(mapping, header),
    (index) => `line ${firstRows[index].line}`,
  );
}
