// The documents of `sightline capture --captions FILE`: a text file (one caption per line, named
// caption-1, caption-2, … in line order) or a CSV with a header `document,caption[,label]`. A label
// goes into the document's meta, where `sightline probe` finds it without a labels file.
import fs from 'node:fs';
import path from 'node:path';
import { parseRows } from '../domain/campaigns/read-rows';
import { badFile } from '../util/errors';
import { decodeUtf8Strict } from '../util/utf8';

export interface CaptureDocument {
  id: string;
  caption: string;
  label?: string;
}

const MAX_DOCUMENTS = 10_000_000;

export function readCaptionsFile(filePath: string): CaptureDocument[] {
  const file = path.basename(filePath);
  const bytes = fs.readFileSync(filePath);
  let documents: CaptureDocument[];
  if (path.extname(file).toLowerCase() === '.csv') {
    documents = parseRows(bytes, file, 'csv').map((row, index) => {
      const where = `row ${index + 1}`;
      const text = (column: string, required: boolean): string | undefined => {
        const value = row[column];
        if (value === undefined || value === null || value === '') {
          if (required) throw badFile(file, `${where}: ${column}`, 'a non-empty text', `no ${column}`);
          return undefined;
        }
        if (typeof value !== 'string') throw badFile(file, `${where}: ${column}`, 'text', typeof value);
        return value;
      };
      const label = text('label', false);
      return { id: text('document', true)!, caption: text('caption', true)!, ...(label ? { label } : {}) };
    });
  } else {
    // Every non-empty line is a caption exactly as written (spaces are tokens, so nothing is trimmed).
    documents = decodeUtf8Strict(bytes, file)
      .split(/\r?\n/)
      .map((caption, line) => ({ id: `caption-${line + 1}`, caption }))
      .filter((d) => d.caption.length > 0);
  }
  if (documents.length === 0) throw badFile(file, '(captions)', 'at least one caption');
  return checkDocumentList(documents, file, 'captions');
}

/** A document list's size bound and unique ids, shared by the captions and the images readers. */
export function checkDocumentList<T extends { id: string }>(documents: T[], file: string, what: string): T[] {
  if (documents.length > MAX_DOCUMENTS)
    throw badFile(file, `(${what})`, `at most ${MAX_DOCUMENTS} ${what}`, String(documents.length));
  const seen = new Set<string>();
  documents.forEach((d, i) => {
    if (seen.has(d.id)) throw badFile(file, `row ${i + 1}: document`, 'a document id used once', `"${d.id}" again`);
    seen.add(d.id);
  });
  return documents;
}
