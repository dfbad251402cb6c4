// Import of MTurk batch results CSV files, so studies run on MTurk can be analysed here:
// one item per HITId (payload from Input.*, hidden fields from Hidden.*), one rater per WorkerId,
// one judgement per row (answers from Answer.*). All of it in one transaction: a bad row anywhere
// leaves the project as it was.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { QuestionSpec, TemplateSpec } from '../contract/templates';
import type { Answer, AnswerValue } from '../contract/types';
import { answerProblem, BUILTIN_TEMPLATES, builtinTemplate } from '../domain/templates';
import { insertSubmittedAssignment, type ShownRecord } from '../store/assignments';
import { insertCampaign, itemIdsByPosition, type NewItem } from '../store/campaigns';
import type { Db } from '../store/db';
import { insertSubmission } from '../store/judgements';
import { insertRater } from '../store/raters';
import { AppError, badFile } from '../util/errors';
import { hashSeed } from '../util/random';
import { restoreFormula } from './csv-cells';
import { importedShown, SHOWN_ORDER_COLUMN } from './import-shown-order';
import { ANSWER_PREFIX, HIDDEN_PREFIX, HIT_ID_FIELD, INPUT_PREFIX, parseMturkTime } from './mturk-format';
import { decodeUtf8Strict } from '../util/utf8';

export interface MturkImportOptions {
  campaignName: string;
  file: string;
  /** A built-in template id; inferred from the Answer.* columns when absent. */
  templateId?: string;
}

export interface MturkImportResult {
  campaignId: number;
  campaignName: string;
  template: { id: string; version: number; inferred: boolean };
  items: number;
  raters: number;
  judgements: number;
  skippedRejected: number;
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

const QUESTION_ID = /^[a-z][a-z0-9_]*$/;

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

/** A CSV cell back to a value: our formula neutralising undone, JSON lists/objects (how we export non-text payload values) parsed. */
function cellValue(text: string): unknown {
  const value = restoreFormula(text);
  if ((value.startsWith('[') && value.endsWith(']')) || (value.startsWith('{') && value.endsWith('}'))) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function questionIdFor(column: string): string {
  const cleaned = column.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return QUESTION_ID.test(cleaned) ? cleaned : `q_${cleaned || 'answer'}`;
}

/**
 * Picks the template: the built-in named by --template, else a built-in whose question ids are
 * exactly the Answer.* columns, else one built from the data (whole numbers -> scale, a small set of
 * short repeated values -> choice, anything else -> text), so any MTurk study can at least be analysed.
 */
function chooseTemplate(answerColumns: string[], inputFields: string[], rows: string[][], header: string[], file: string, templateId?: string): { template: TemplateSpec; inferred: boolean; questionFor: Map<string, string> } {
  if (templateId) {
    const template = builtinTemplate(templateId);
    const ids = new Set(template.questions.map((question) => question.id));
    const unknown = answerColumns.filter((column) => !ids.has(column));
    if (unknown.length) throw badFile(file, unknown.map((c) => `${ANSWER_PREFIX}${c}`).join(', '), `answer columns of template ${templateId} (${[...ids].join(', ')})`);
    return { template, inferred: false, questionFor: new Map(answerColumns.map((column) => [column, column])) };
  }
  const wanted = [...answerColumns].sort().join('\u0000');
  const builtin = Object.values(BUILTIN_TEMPLATES).find((template) => template.questions.map((question) => question.id).sort().join('\u0000') === wanted);
  if (builtin) return { template: builtin, inferred: true, questionFor: new Map(answerColumns.map((column) => [column, column])) };
  const questionFor = new Map(answerColumns.map((column) => [column, questionIdFor(column)]));
  const questions = answerColumns.map((column): QuestionSpec => {
    const index = header.indexOf(`${ANSWER_PREFIX}${column}`);
    const values = rows.map((row) => restoreFormula(row[index] ?? '')).filter((value) => value !== '');
    const id = questionFor.get(column)!;
    const prompt = column;
    if (values.length > 0 && values.every((value) => /^-?\d+$/.test(value))) {
      const numbers = values.map(Number);
      return { id, type: 'scale', prompt, min: Math.min(...numbers), max: Math.max(...numbers), required: false };
    }
    const distinct = [...new Set(values)].sort();
    // A closed set: short labels, at most 12, and some answer given more than once (free text rarely repeats).
    if (distinct.length > 0 && distinct.length <= 12 && distinct.length < values.length && distinct.every((value) => value.length <= 60)) {
      return { id, type: 'choice', prompt, options: distinct.map((value) => ({ value, label: value })), required: false };
    }
    return { id, type: 'text', prompt, required: false };
  });
  const template: TemplateSpec = {
    id: 'mturk-import',
    version: 1,
    title: `Imported MTurk results (${path.basename(file)})`,
    display: inputFields.map((field) => ({ type: 'text' as const, field })),
    questions,
  };
  return { template, inferred: true, questionFor };
}

function answerValue(question: QuestionSpec, text: string, where: string, file: string): AnswerValue {
  const raw = restoreFormula(text);
  if (raw === '') return null;
  if (question.type === 'scale') {
    const value = Number(raw);
    if (!Number.isInteger(value)) throw badFile(file, where, `a whole number from ${question.min} to ${question.max}`, JSON.stringify(raw));
    return value;
  }
  if (question.type === 'multi') {
    const parsed = cellValue(raw);
    return Array.isArray(parsed) ? parsed.map(String) : raw.split('|');
  }
  return raw;
}

export function importMturkResults(db: Db, options: MturkImportOptions): MturkImportResult {
  const file = path.resolve(options.file);
  const bytes = fs.readFileSync(file);
  const text = decodeUtf8Strict(bytes, file);
  let records: CsvRecord[];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, info: true, relax_column_count: false }) as unknown as CsvRecord[];
  } catch (error) {
    throw new AppError('bad_file', `${file}: not a readable CSV file: ${(error as Error).message}`, { file });
  }
  if (records.length < 2) throw badFile(file, 'rows', 'a header row and at least one result row', `${records.length} row(s)`);
  const header = records[0].record.map((name) => name.trim());
  const column = (name: string) => header.indexOf(name);
  for (const required of ['HITId', 'WorkerId']) if (column(required) < 0) throw badFile(file, 'header', `a ${required} column (MTurk batch results CSV)`);
  const inputFields = header.filter((name) => name.startsWith(INPUT_PREFIX)).map((name) => name.slice(INPUT_PREFIX.length));
  const hiddenFields = header.filter((name) => name.startsWith(HIDDEN_PREFIX)).map((name) => name.slice(HIDDEN_PREFIX.length));
  const answerColumns = header.filter((name) => name.startsWith(ANSWER_PREFIX)).map((name) => name.slice(ANSWER_PREFIX.length));
  if (answerColumns.length === 0) throw badFile(file, 'header', 'at least one Answer.<question> column');
  const statusColumn = column('AssignmentStatus');
  const body = records.slice(1).filter((entry) => statusColumn < 0 || entry.record[statusColumn] !== 'Rejected');
  const skippedRejected = records.length - 1 - body.length;
  const { template, inferred, questionFor } = chooseTemplate(answerColumns, inputFields, body.map((entry) => entry.record), header, file, options.templateId);
  const questionsById = new Map(template.questions.map((question) => [question.id, question]));
  const at = (entry: CsvRecord, name: string) => {
    const index = column(name);
    return index < 0 ? '' : (entry.record[index] ?? '');
  };

  // Items, in first-seen HIT order.
  const hits = new Map<string, { item: NewItem; index: number }>();
  for (const entry of body) {
    const hitId = at(entry, 'HITId');
    if (!hitId) throw badFile(file, `line ${entry.info.lines}: HITId`, 'a HIT id', 'an empty cell');
    if (hits.has(hitId)) continue;
    const payload = Object.fromEntries(inputFields.map((field) => [field, cellValue(at(entry, `${INPUT_PREFIX}${field}`))]));
    const hidden: Record<string, unknown> = Object.fromEntries(
      hiddenFields.map((field) => [field, hiddenValue(at(entry, `${HIDDEN_PREFIX}${field}`))] as const).filter(([, value]) => value !== ''),
    );
    hidden[HIT_ID_FIELD] = hitId;
    const kind = at(entry, 'Sightline.ItemKind');
    const condition = at(entry, 'Sightline.Condition');
    hits.set(hitId, {
      index: hits.size,
      item: {
        payload,
        hidden,
        condition: condition === '' ? null : restoreFormula(condition),
        kind: (['normal', 'gold', 'attention', 'qualification'] as const).find((known) => known === kind) ?? 'normal',
      },
    });
  }
  const workerIds = [...new Set(body.map((entry) => at(entry, 'WorkerId')))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const entry of body) if (!at(entry, 'WorkerId')) throw badFile(file, `line ${entry.info.lines}: WorkerId`, 'a worker id', 'an empty cell');
  const perHit = new Map<string, number>();
  for (const entry of body) perHit.set(at(entry, 'HITId'), (perHit.get(at(entry, 'HITId')) ?? 0) + 1);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');

  return db.transaction((): MturkImportResult => {
    const campaignId = insertCampaign(
      db,
      {
        name: options.campaignName,
        template,
        instructions: `Imported from the MTurk results file ${path.basename(file)}.`,
        overlap: Math.max(1, ...perHit.values()),
        leaseSeconds: 600,
        seed: hashSeed('mturk-import', options.campaignName),
        settings: { imported: { format: 'mturk', file: path.basename(file), sha256, rows: body.length, skippedRejected, templateInferred: inferred } },
      },
      [...hits.values()].map((hit) => hit.item),
    );
    const itemIds = itemIdsByPosition(db, campaignId);
    // Raters in natural WorkerId order, so their pseudonyms do not depend on row order: a Sightline
    // export (WorkerId = pseudonym R001, R002, ...) imports with the same pseudonyms and exports again byte for byte.
    const raters = new Map<string, number>();
    for (const workerId of workerIds) raters.set(workerId, insertRater(db, campaignId, workerId, hashSeed('mturk-import', options.campaignName), { mturk: { WorkerId: workerId } }).id);
    const seen = new Set<string>();
    for (const entry of body) {
      const line = entry.info.lines;
      const hitId = at(entry, 'HITId');
      const workerId = at(entry, 'WorkerId');
      if (seen.has(`${hitId}\u0000${workerId}`)) throw badFile(file, `line ${line}`, `one row per worker per HIT`, `a second row for worker ${workerId} on HIT ${hitId}`);
      seen.add(`${hitId}\u0000${workerId}`);
      const hit = hits.get(hitId)!;
      const itemId = itemIds[hit.index];
      // What the worker saw is known only as far as the file says (Sightline.ShownOrder, our own
      // export's column); the rest is recorded as unknown, never re-drawn (issue 11).
      const { questions, pairs, orderUnknown } = importedShown(template, hit.item.payload, at(entry, SHOWN_ORDER_COLUMN).trim(), { file, line });
      const answer: Answer = {};
      for (const answerColumn of answerColumns) {
        const question = questionsById.get(questionFor.get(answerColumn)!)!;
        const value = answerValue(question, at(entry, `${ANSWER_PREFIX}${answerColumn}`), `line ${line}: ${ANSWER_PREFIX}${answerColumn}`, file);
        if (value !== null) answer[question.id] = value;
      }
      const problem = answerProblem(questions, answer);
      if (problem) throw new AppError('bad_file', `${file}: line ${line}: ${problem.replace(/^answer\./, ANSWER_PREFIX)}`, { file, line });
      const submitText = at(entry, 'SubmitTime');
      const acceptText = at(entry, 'AcceptTime');
      const submittedAt = submitText ? parseMturkTime(submitText) : null;
      if (submitText && submittedAt === null) throw badFile(file, `line ${line}: SubmitTime`, 'a time like "Wed Jan 15 09:12:34 PST 2020" or ISO 8601', JSON.stringify(submitText));
      const acceptedAt = acceptText ? parseMturkTime(acceptText) : null;
      if (acceptText && acceptedAt === null) throw badFile(file, `line ${line}: AcceptTime`, 'a time like "Wed Jan 15 09:12:34 PST 2020" or ISO 8601', JSON.stringify(acceptText));
      const workSeconds = Number(at(entry, 'WorkTimeInSeconds'));
      const activeSeconds = Number(at(entry, 'Sightline.ActiveTimeInSeconds'));
      const submitted = submittedAt ?? acceptedAt ?? 0;
      const accepted = acceptedAt ?? (Number.isFinite(workSeconds) ? submitted - workSeconds * 1000 : submitted);
      const activeMs = Math.round(1000 * (at(entry, 'Sightline.ActiveTimeInSeconds') !== '' && Number.isFinite(activeSeconds) ? activeSeconds : Number.isFinite(workSeconds) ? workSeconds : 0));
      const shown: ShownRecord = {
        questions,
        pairs,
        ...(orderUnknown.length ? { orderUnknown } : {}),
        source: { format: 'mturk', file: path.basename(file), line, HITId: hitId, AssignmentId: at(entry, 'AssignmentId') || undefined },
      };
      const assignmentId = insertSubmittedAssignment(db, { itemId, raterId: raters.get(workerId)!, shown, leasedAt: accepted, submittedAt: submitted });
      insertSubmission(db, { assignmentId, answer, shown, activeMs, now: submitted });
    }
    return {
      campaignId,
      campaignName: options.campaignName,
      template: { id: template.id, version: template.version, inferred },
      items: hits.size,
      raters: raters.size,
      judgements: body.length,
      skippedRejected,
    };
  })();
}
