// The one importer core: a results table read by any dialect (table.ts) becomes a new campaign
// with its items, raters, assignments and judgements, all in one transaction, so a bad row
// anywhere leaves the project as it was. What each rater saw is taken from the file's recorded
// order, and what the file does not record stays unknown, never re-drawn (issue 11).
import path from 'node:path';
import type { ImportedResults } from '../../contract/results';
import type { QuestionSpec } from '../../contract/templates';
import type { Answer, AnswerValue } from '../../contract/types';
import { answerProblem } from '../../domain/templates';
import { insertSubmittedAssignment, type ShownRecord } from '../../store/assignments';
import { insertCampaign, itemIdsByPosition } from '../../store/campaigns';
import type { Db } from '../../store/db';
import { insertSubmission } from '../../store/judgements';
import { insertRater } from '../../store/raters';
import { AppError, badFile } from '../../util/errors';
import { hashSeed } from '../../util/random';
import { importedShown } from '../import-shown-order';
import type { ResultsTable } from './table';
import { chooseTemplate } from './template';

export interface ImportOptions {
  campaignName: string;
  /** A built-in template id; inferred from the answer keys when absent. */
  templateId?: string;
}

// The shape is the contract's (results.import), declared once there.
export type ImportResult = ImportedResults;

const found = (value: unknown) => JSON.stringify(value)?.slice(0, 80) ?? String(value);

/** A JSON list as text (how text formats write a multi answer) or, failing that, MTurk's "a|b". */
function listFromText(text: string): unknown {
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON: read as MTurk's pipe-separated checkboxes below.
    }
  }
  return text.split('|');
}

/**
 * One answer read for its question's type. Text formats hand over strings ("3", '["a","b"]'),
 * JSON formats typed values; Label Studio wraps a choice or a text in a one-element list.
 */
function answerValue(question: QuestionSpec, raw: unknown, field: string, file: string): AnswerValue {
  if (raw === undefined || raw === null || raw === '') return null;
  if (question.type === 'scale') {
    const value =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value))
      throw badFile(file, field, `a whole number from ${question.min} to ${question.max}`, found(raw));
    return value;
  }
  if (question.type === 'multi') {
    const list = typeof raw === 'string' ? listFromText(raw) : raw;
    if (!Array.isArray(list) || !list.every((value) => typeof value === 'string' || typeof value === 'number'))
      throw badFile(file, field, 'a list of option values', found(raw));
    return list.map(String);
  }
  const single = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (typeof single === 'string') return single;
  if (typeof single === 'number' && Number.isFinite(single)) return String(single);
  throw badFile(file, field, question.type === 'choice' ? 'one option value' : 'a text', found(raw));
}

export function writeImportedResults(db: Db, table: ResultsTable, options: ImportOptions): ImportResult {
  const { file, names } = table;
  const { template, inferred, questionFor } = chooseTemplate(table, options.templateId);
  const questionsById = new Map(template.questions.map((question) => [question.id, question]));
  const itemIndex = new Map(table.items.map((entry, index) => [entry.key, index]));
  const perItem = new Map<string, number>();
  for (const row of table.rows) {
    if (!itemIndex.has(row.itemKey))
      throw badFile(file, row.at, `an item the file describes`, `item ${JSON.stringify(row.itemKey)}`);
    perItem.set(row.itemKey, (perItem.get(row.itemKey) ?? 0) + 1);
  }
  // Raters in natural name order, so their pseudonyms do not depend on row order: a Sightline export
  // (rater = pseudonym R001, R002, ...) imports with the same pseudonyms and exports again byte for byte.
  const raterNames = [...new Set(table.rows.map((row) => row.rater))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  const seed = hashSeed(`${table.format}-import`, options.campaignName);

  return db.transaction((): ImportResult => {
    const campaignId = insertCampaign(
      db,
      {
        name: options.campaignName,
        template,
        instructions: `Imported from ${table.description} ${path.basename(file)}.`,
        overlap: Math.max(1, ...perItem.values()),
        leaseSeconds: 600,
        seed,
        settings: {
          imported: {
            format: table.format,
            file: path.basename(file),
            sha256: table.sha256,
            rows: table.rows.length,
            skippedRejected: table.skipped,
            templateInferred: inferred,
          },
        },
      },
      table.items.map((entry) => entry.item),
    );
    const itemIds = itemIdsByPosition(db, campaignId);
    const raters = new Map<string, number>();
    for (const name of raterNames)
      raters.set(
        name,
        insertRater(
          db,
          campaignId,
          name,
          seed,
          { [table.format]: { [names.raterField]: name } },
          table.keepsRaterIds ? name : undefined,
        ).id,
      );
    const seen = new Set<string>();
    for (const row of table.rows) {
      const pairKey = `${row.itemKey}\u0000${row.rater}`;
      if (seen.has(pairKey))
        throw badFile(
          file,
          row.at,
          `one row per ${names.rater} per ${names.item}`,
          `a second row for ${names.rater} ${row.rater} on ${names.item} ${row.itemKey}`,
        );
      seen.add(pairKey);
      const index = itemIndex.get(row.itemKey)!;
      const payload = table.items[index].item.payload;
      const { questions, pairs, orderUnknown } = importedShown(template, payload, row.shownOrder, {
        file,
        at: row.at,
        orderField: names.shownOrder,
        payloadPrefix: names.payloadPrefix,
      });
      const answer: Answer = {};
      for (const key of table.answerKeys) {
        const question = questionsById.get(questionFor.get(key)!)!;
        const value = answerValue(question, row.answers[key], `${row.at}: ${names.answer(key)}`, file);
        if (value !== null) answer[question.id] = value;
      }
      const problem = answerProblem(questions, answer);
      if (problem) {
        const named = problem.replace(/^answer\.([^:]+)/, (_, id: string) =>
          names.answer([...questionFor].find(([, q]) => q === id)?.[0] ?? id),
        );
        throw new AppError('bad_file', `${file}: ${row.at}: ${named}`, { file, at: row.at });
      }
      const shown: ShownRecord = {
        questions,
        pairs,
        ...(orderUnknown.length ? { orderUnknown } : {}),
        source: { format: table.format, file: path.basename(file), ...row.source },
      };
      const assignmentId = insertSubmittedAssignment(db, {
        itemId: itemIds[index],
        raterId: raters.get(row.rater)!,
        shown,
        leasedAt: row.leasedAt,
        submittedAt: row.submittedAt,
      });
      insertSubmission(db, { assignmentId, answer, shown, activeMs: row.activeMs, now: row.submittedAt });
    }
    return {
      campaignId,
      campaignName: options.campaignName,
      format: table.format,
      template: { id: template.id, version: template.version, inferred },
      items: table.items.length,
      raters: raters.size,
      judgements: table.rows.length,
      skippedRejected: table.skipped,
    };
  })();
}
