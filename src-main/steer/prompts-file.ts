// The prompts of a sweep (`sweep --prompts FILE`): one prompt per line of a text file, or rows of a CSV
// (header row) or JSONL file with a `prompt` column and, optionally, `source_class`, `target_class` and
// `distractors` (a JSON list, or ';'-separated in CSV). The class columns go into each generation's
// hidden fields, which the paper's concept-choice campaign builds its options from.
import fs from 'node:fs';
import path from 'node:path';
import { parseRows, type Row } from '../domain/campaigns/read-rows';
import { AppError, badFile } from '../util/errors';
import { decodeUtf8Strict } from '../util/utf8';

export interface SweepPrompt {
  prompt: string;
  sourceClass?: string;
  targetClass?: string;
  distractors?: string[];
}

const MAX_PROMPTS = 1_000_000;

/** A CSV cell of class names separated by ';' (a comma would split the CSV's own columns). */
export function classList(cell: string): string[] {
  return cell
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

function optionalText(row: Row, column: string, file: string, where: string): string | undefined {
  const value = row[column];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw badFile(file, `${where}: ${column}`, 'text', typeof value);
  return value;
}

function promptOf(row: Row, file: string, where: string, csv: boolean): SweepPrompt {
  const prompt = row.prompt;
  if (typeof prompt !== 'string' || prompt.length === 0)
    throw badFile(
      file,
      `${where}: prompt`,
      'a non-empty text',
      prompt === undefined ? 'no prompt column' : JSON.stringify(prompt),
    );
  const out: SweepPrompt = { prompt };
  const source = optionalText(row, 'source_class', file, where);
  const target = optionalText(row, 'target_class', file, where);
  if (source !== undefined) out.sourceClass = source;
  if (target !== undefined) out.targetClass = target;
  const distractors = row.distractors;
  if (distractors !== undefined && distractors !== null && distractors !== '') {
    const list = csv && typeof distractors === 'string' ? classList(distractors) : distractors;
    if (!Array.isArray(list) || !list.every((d) => typeof d === 'string' && d.length > 0)) {
      throw badFile(
        file,
        `${where}: distractors`,
        csv ? "class names separated by ';'" : 'a list of class names',
        JSON.stringify(distractors),
      );
    }
    out.distractors = list as string[];
  }
  return out;
}

export function readPromptsFile(filePath: string): SweepPrompt[] {
  const file = path.basename(filePath);
  // A missing file is the user's mistake, said in one line naming it, not an internal ENOENT.
  if (!fs.existsSync(filePath)) throw new AppError('not_found', `${filePath}: no such prompts file`);
  const bytes = fs.readFileSync(filePath);
  const ext = path.extname(file).toLowerCase();
  let prompts: SweepPrompt[];
  if (ext === '.csv' || ext === '.jsonl' || ext === '.json') {
    const csv = ext === '.csv';
    prompts = parseRows(bytes, file, csv ? 'csv' : 'jsonl').map((row, index) =>
      promptOf(row, file, csv ? `row ${index + 1}` : `line ${index + 1}`, csv),
    );
  } else {
    // A text file: every non-empty line is a prompt, exactly as written (no trimming: spaces are tokens).
    prompts = decodeUtf8Strict(bytes, file)
      .split(/\r?\n/)
      .filter((line) => line.length > 0)
      .map((prompt) => ({ prompt }));
  }
  if (prompts.length === 0) throw badFile(file, '(prompts)', 'at least one prompt');
  if (prompts.length > MAX_PROMPTS)
    throw badFile(file, '(prompts)', `at most ${MAX_PROMPTS} prompts`, String(prompts.length));
  return prompts;
}
