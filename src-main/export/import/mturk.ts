// Reads MTurk batch results CSV files (and our MTurk export): one item per HITId (payload from
// Input.*, hidden fields from Hidden.*), one rater per WorkerId, one judgement per row (answers
// from Answer.*, the order the worker saw from Sightline.ShownOrder when the file has it).
// Rejected assignments are left out. An old batch whose HIT layout named its columns its own way is
// read through a mapping into a built-in template instead (mturk-mapping.ts, issue 15).
import { HIT_ID_FIELD, ANSWER_PREFIX, HIDDEN_PREFIX, INPUT_PREFIX, parseMturkTime } from '../mturk-format';
import { restoreFormula } from '../csv-cells';
import { parseOrderText, SHOWN_ORDER_COLUMN } from '../import-shown-order';
import type { TemplateSpec } from '../../contract/templates';
import type { NewItem } from '../../store/campaigns';
import { AppError, badFile } from '../../util/errors';
import { cellValue, readCsvRecords, type CsvRecord } from './csv-records';
import { answerColumns, mappedItems, type ResultsMapping } from './mturk-mapping';
import { isItemKind, type FieldNames, type ResultRow, type ResultsTable } from './table';

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A Hidden.* cell back to a value. Hidden fields are research metadata (k, layer, feature ids),
 * so canonical JSON numbers and booleans become numbers and booleans again; Input.* cells stay text
 * (a worker saw "5", not the number 5).
 */
function hiddenValue(text: string): unknown {
  const value = cellValue(text);
  if (typeof value !== 'string') return value;
  if (JSON_NUMBER.test(value)) return Number(value);
  return value === 'true' ? true : value === 'false' ? false : value;
}

const NAMES: FieldNames = {
  answer: (id) => `${ANSWER_PREFIX}${id}`,
  shownOrder: SHOWN_ORDER_COLUMN,
  payloadPrefix: INPUT_PREFIX,
  rater: 'worker',
  item: 'HIT',
  raterField: 'WorkerId',
};

/** The item a HIT's first row describes in MTurk's own terms: Input.* is payload, Hidden.* hidden fields, Sightline.* our export's extras. */
function ownItem(
  entry: CsvRecord,
  at: (entry: CsvRecord, name: string) => string,
  inputFields: string[],
  hiddenFields: string[],
): NewItem {
  const payload = Object.fromEntries(
    inputFields.map((field) => [field, cellValue(at(entry, `${INPUT_PREFIX}${field}`))]),
  );
  const hidden: Record<string, unknown> = Object.fromEntries(
    hiddenFields
      .map((field) => [field, hiddenValue(at(entry, `${HIDDEN_PREFIX}${field}`))] as const)
      .filter(([, value]) => value !== ''),
  );
  const kind = at(entry, 'Sightline.ItemKind');
  const condition = at(entry, 'Sightline.Condition');
  return {
    payload,
    hidden,
    condition: condition === '' ? null : restoreFormula(condition),
    kind: isItemKind(kind) ? kind : 'normal',
  };
}

function requiredTemplate(template: TemplateSpec | undefined, file: string): TemplateSpec {
  if (!template)
    throw new AppError(
      'invalid_input',
      `${file}: a mapping needs a template (--template ID) whose questions it answers`,
    );
  return template;
}

const TIME_EXPECTED = 'a time like "Wed Jan 15 09:12:34 PST 2020" or ISO 8601';

export interface MturkReadOptions {
  /** An old batch's own column names read into the template's questions and payload (mturk-mapping.ts). */
  mapping?: ResultsMapping;
  /** The template the mapping fills (needed with a mapping: it says which payload fields must be there). */
  template?: TemplateSpec;
}

export function readMturkResults(file: string, options: MturkReadOptions = {}): ResultsTable {
  const { records, sha256 } = readCsvRecords(file);
  const header = records[0].record.map((name) => name.trim());
  const column = (name: string) => header.indexOf(name);
  for (const required of ['HITId', 'WorkerId'])
    if (column(required) < 0) throw badFile(file, 'header', `a ${required} column (MTurk batch results CSV)`);
  const fields = (prefix: string) =>
    header.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
  const inputFields = fields(INPUT_PREFIX);
  const hiddenFields = fields(HIDDEN_PREFIX);
  const ownAnswers = Object.fromEntries(fields(ANSWER_PREFIX).map((key) => [key, `${ANSWER_PREFIX}${key}`]));
  const answerColumnFor = options.mapping ? answerColumns(options.mapping, header, file, ownAnswers) : ownAnswers;
  const answerKeys = Object.keys(answerColumnFor);
  if (answerKeys.length === 0) throw badFile(file, 'header', 'at least one Answer.<question> column');
  const statusColumn = column('AssignmentStatus');
  const body = records.slice(1).filter((entry) => statusColumn < 0 || entry.record[statusColumn] !== 'Rejected');
  const at = (entry: CsvRecord, name: string) => {
    const index = column(name);
    return index < 0 ? '' : (entry.record[index] ?? '');
  };

  // Each HIT's first row, in first-seen HIT order: it describes the item.
  const hits = new Map<string, CsvRecord>();
  const rows: ResultRow[] = [];
  for (const entry of body) {
    const line = entry.info.lines;
    const where = `line ${line}`;
    const hitId = at(entry, 'HITId');
    if (!hitId) throw badFile(file, `${where}: HITId`, 'a HIT id', 'an empty cell');
    const workerId = at(entry, 'WorkerId');
    if (!workerId) throw badFile(file, `${where}: WorkerId`, 'a worker id', 'an empty cell');
    if (!hits.has(hitId)) hits.set(hitId, entry);
    const time = (name: string) => {
      const text = at(entry, name);
      const ms = text ? parseMturkTime(text) : null;
      if (text && ms === null) throw badFile(file, `${where}: ${name}`, TIME_EXPECTED, JSON.stringify(text));
      return ms;
    };
    const submittedAt = time('SubmitTime');
    const acceptedAt = time('AcceptTime');
    const workSeconds = Number(at(entry, 'WorkTimeInSeconds'));
    const activeText = at(entry, 'Sightline.ActiveTimeInSeconds');
    const activeSeconds = Number(activeText);
    const submitted = submittedAt ?? acceptedAt ?? 0;
    rows.push({
      at: where,
      itemKey: hitId,
      rater: workerId,
      answers: Object.fromEntries(answerKeys.map((key) => [key, restoreFormula(at(entry, answerColumnFor[key]))])),
      // What the worker saw is known only as far as the file says (Sightline.ShownOrder, our own
      // export's column); the rest is recorded as unknown, never re-drawn (issue 11).
      shownOrder: parseOrderText(at(entry, SHOWN_ORDER_COLUMN).trim(), {
        file,
        at: where,
        orderField: SHOWN_ORDER_COLUMN,
        payloadPrefix: INPUT_PREFIX,
      }),
      leasedAt: acceptedAt ?? (Number.isFinite(workSeconds) ? submitted - workSeconds * 1000 : submitted),
      submittedAt: submitted,
      activeMs: Math.round(
        1000 *
          (activeText !== '' && Number.isFinite(activeSeconds)
            ? activeSeconds
            : Number.isFinite(workSeconds)
              ? workSeconds
              : 0),
      ),
      source: { line, HITId: hitId, AssignmentId: at(entry, 'AssignmentId') || undefined },
    });
  }
  const firstRows = [...hits.values()];
  const newItems = options.mapping
    ? mappedItems(
        firstRows.map((entry) => ({
          line: entry.info.lines,
          cells: Object.fromEntries(header.map((name, index) => [name, restoreFormula(entry.record[index] ?? '')])),
        })),
        header,
        requiredTemplate(options.template, file),
        file,
        options.mapping,
      )
    : firstRows.map((entry) => ownItem(entry, at, inputFields, hiddenFields));
  const items = firstRows.map((entry, index) => {
    const hitId = at(entry, 'HITId');
    // The HIT id stays with the item, so a re-export writes the same HITIds.
    newItems[index].hidden = { ...newItems[index].hidden, [HIT_ID_FIELD]: hitId };
    return { key: hitId, item: newItems[index] };
  });
  return {
    format: 'mturk',
    file,
    sha256,
    description: 'the MTurk results file',
    names: { ...NAMES, answer: (id) => answerColumnFor[id] ?? NAMES.answer(id) },
    // MTurk's WorkerIds are already pseudonyms: results and exports show them as the file has them.
    keepsRaterIds: true,
    answerKeys,
    answerKeysComplete: true,
    payloadFields: inputFields,
    items,
    rows,
    skipped: records.length - 1 - body.length,
  };
}
