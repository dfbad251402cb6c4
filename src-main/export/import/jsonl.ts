// Reads our JSONL export (and any file of the same shape): one judgement per line, see
// jsonl.ts judgementRecord. Neuronpedia explanation lines (also JSONL) are per-feature
// explanations, not judgements, and are refused with a message that says so.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { badFile } from '../../util/errors';
import { decodeUtf8Strict } from '../../util/utf8';
import { KeyOrder, RECORD_NAMES, recordRow, type RecordContext } from './records';
import { isPlainObject, ItemCollector, type ResultRow, type ResultsTable } from './table';

export function readJsonlResults(file: string): ResultsTable {
  const bytes = fs.readFileSync(file);
  const text = decodeUtf8Strict(bytes, file);
  const context: RecordContext = {
    file,
    items: new ItemCollector(file),
    answerKeys: new KeyOrder(),
    payloadFields: new KeyOrder(),
  };
  const rows: ResultRow[] = [];
  const lines = text.replace(/^\ufeff/, '').split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const at = `line ${index + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw badFile(file, at, 'one JSON object (a judgement)', `text that is not JSON (${(error as Error).message})`);
    }
    if (!isPlainObject(record))
      throw badFile(file, at, 'one JSON object (a judgement)', JSON.stringify(record)?.slice(0, 80));
    if (!('answer' in record) && 'explanationModelName' in record) {
      throw badFile(
        file,
        at,
        'a judgement (Neuronpedia explanation rows are per-feature explanations, not judgements, and cannot be imported)',
        'a Neuronpedia explanation',
      );
    }
    rows.push(recordRow(context, at, record, { line: index + 1 }));
  });
  if (rows.length === 0) throw badFile(file, 'lines', 'at least one judgement line', 'none');
  return {
    format: 'jsonl',
    file,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    description: 'the JSONL results file',
    names: RECORD_NAMES,
    answerKeys: context.answerKeys.list,
    answerKeysComplete: false,
    payloadFields: context.payloadFields.list,
    items: context.items.items(),
    rows,
    skipped: 0,
  };
}
