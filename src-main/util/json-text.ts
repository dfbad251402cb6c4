// JSON files a researcher writes by hand (a column mapping): a syntax error is reported with its
// line and column, as an editor shows them. V8's messages give a position for some errors and a
// snippet for others ("Unexpected token '}', ... is not valid JSON"), differently across Node
// versions, so the place is found by a small scan of our own once JSON.parse has refused the text.
import type { z } from 'zod';
import { type AppError, badFile } from './errors';

type JsonPath = readonly (string | number)[];

/** Where a value sits in the text: its first character, and (for an object member) its key's opening quote. */
interface JsonPlace {
  path: JsonPath;
  valueAt: number;
  keyAt: number | null;
}

/**
 * Scans `text` as JSON, telling `visit` where each value starts (so that a schema error can name the
 * line and column of the offending value); returns -1 for JSON, else the offset where it stops being JSON
 * (text.length when it ends too soon).
 */
function scanJson(text: string, visit?: (place: JsonPlace) => void): number {
  let at = 0;
  const fail = (): never => {
    throw at;
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++;
  };
  const literal = (word: string) => {
    for (const char of word) {
      if (text[at] !== char) fail();
      at++;
    }
  };
  const string = () => {
    at++; // opening quote
    while (at < text.length) {
      const char = text[at];
      if (char === '"') return void at++;
      if (char < ' ') fail();
      if (char === '\\') {
        at++;
        if (text[at] === 'u') {
          at++;
          for (let digit = 0; digit < 4; digit++, at++) if (!/[0-9a-fA-F]/.test(text[at] ?? '')) fail();
        } else if ('"\\/bfnrt'.includes(text[at] ?? 'x')) at++;
        else fail();
      } else at++;
    }
    fail();
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at, at + 400));
    if (!match) fail();
    at += match![0].length;
  };
  const value = (path: JsonPath, keyAt: number | null): void => {
    space();
    visit?.({ path, valueAt: at, keyAt });
    const char = text[at];
    if (char === '{') {
      at++;
      space();
      if (text[at] === '}') return void at++;
      for (;;) {
        space();
        if (text[at] !== '"') fail();
        const memberAt = at;
        string();
        const key = visit ? (JSON.parse(text.slice(memberAt, at)) as string) : '';
        space();
        if (text[at] !== ':') fail();
        at++;
        value([...path, key], memberAt);
        space();
        if (text[at] === ',') at++;
        else if (text[at] === '}') return void at++;
        else fail();
      }
    }
    if (char === '[') {
      at++;
      space();
      if (text[at] === ']') return void at++;
      for (let index = 0; ; index++) {
        value([...path, index], null);
        space();
        if (text[at] === ',') at++;
        else if (text[at] === ']') return void at++;
        else fail();
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    if (char === '-' || (char >= '0' && char <= '9')) return number();
    fail();
  };
  try {
    // A byte-order mark is not JSON, but an editor's UTF-8 BOM should not be the reported error.
    if (text.charCodeAt(0) === 0xfeff) at = 1;
    value([], null);
    space();
    if (at < text.length) fail();
    return -1;
  } catch (offset) {
    if (typeof offset === 'number') return Math.min(offset, text.length);
    throw offset;
  }
}

/** Offset of the first character where `text` stops being JSON (text.length when it ends too soon). */
export function jsonErrorOffset(text: string): number {
  return scanJson(text);
}

/**
 * Offset of the value at `path` in JSON `text` (of its key with `key: true`, for a key that should
 * not be there); for a path the text lacks (a missing field), the deepest value on the way to it.
 */
export function jsonValueOffset(text: string, path: JsonPath, options: { key?: boolean } = {}): number {
  let best = { depth: -1, offset: 0 };
  scanJson(text, (place) => {
    const depth = place.path.length;
    if (depth > path.length || depth <= best.depth) return;
    if (!place.path.every((step, index) => String(step) === String(path[index]))) return;
    const offset = options.key && depth === path.length && place.keyAt !== null ? place.keyAt : place.valueAt;
    best = { depth, offset };
  });
  return best.offset;
}

/** 1-based line and column of an offset (a column counts UTF-16 units, as editors mostly do). */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * A hand-written JSON file checked against what it should hold: the first problem becomes one bad_file
 * line naming the file, the line and column of the offending value, its path and what was expected.
 */
export function badJsonValue(
  text: string,
  file: string,
  problem: { path: JsonPath; key?: boolean; expected: string },
): AppError {
  const { line, column } = lineAndColumn(text, jsonValueOffset(text, problem.path, { key: problem.key }));
  const where = problem.path.length ? ` (${problem.path.join('.')})` : '';
  return badFile(file, `line ${line}, column ${column}${where}`, problem.expected);
}

/** JSON.parse for a hand-written file: a syntax error becomes one bad_file line naming the file, line and column. */
export function parseJsonText(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const offset = Math.max(0, jsonErrorOffset(text));
    const { line, column } = lineAndColumn(text, offset);
    const found =
      offset >= text.length ? 'the end of the file' : JSON.stringify(text.slice(offset).split(/\r?\n/)[0].slice(0, 20));
    throw badFile(file, `line ${line}, column ${column}`, 'valid JSON', found);
  }
}

/**
 * A hand-written JSON file read against its schema: a syntax error or the first schema problem is one
 * bad_file line naming the file and the line and column where it is (issue 15: a field of the wrong
 * type used to be named only by its path).
 */
export function parseJsonWith<T>(text: string, file: string, schema: z.ZodType<T>, expected: string): T {
  const parsed = schema.safeParse(parseJsonText(text, file));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  // An unknown key is pointed at by its key, anything else by its value.
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  throw badJsonValue(text, file, {
    path: unknownKey === undefined ? issue.path.map(pathStep) : [...issue.path.map(pathStep), unknownKey],
    key: unknownKey !== undefined,
    expected: `${expected} (${issue.message})`,
  });
}

const pathStep = (step: PropertyKey): string | number => (typeof step === 'symbol' ? String(step) : step);
