// The largest body a rater call can need, derived from the rater methods' schemas (issue 11: a
// rater token could post 64 MB bodies meant for the researcher's item upload). Computed, not guessed:
// change a bound in rater.ts or templates.ts and this limit follows; tests/http/body-limits.test.ts
// builds that largest input and checks it is exactly this many bytes.
import {
  MAX_ACTIVE_MS,
  MAX_ANSWER_KEY_LENGTH,
  MAX_FLAG_COMMENT_LENGTH,
  MAX_LIST_ANSWER_ENTRIES,
  MAX_LIST_ANSWER_ENTRY_LENGTH,
  MAX_NEXT_COUNT,
  MAX_TEXT_ANSWER_LENGTH,
  type raterMethods,
} from './rater';
import { MAX_QUESTIONS } from './templates';

/**
 * JSON.stringify writes one UTF-16 code unit as at most 6 bytes: a control character or a lone
 * surrogate becomes a \uXXXX escape (any other character is 1 to 3 bytes of UTF-8, a surrogate pair
 * 4 bytes for two units).
 */
const JSON_BYTES_PER_CODE_UNIT = 6;
/** "-1.7976931348623157e+308": the longest text JSON.stringify gives a finite number. */
const LONGEST_JSON_NUMBER = 24;
const LONGEST_ID = String(Number.MAX_SAFE_INTEGER).length;

const jsonString = (codeUnits: number): number => 2 + JSON_BYTES_PER_CODE_UNIT * codeUnits;
const jsonArray = (entries: number, entryBytes: number): number => 2 + entries * entryBytes + Math.max(0, entries - 1);
/** An object's bytes from its keys' and values' bytes: braces, a colon per entry, commas between. */
const jsonObject = (fields: [keyBytes: number, valueBytes: number][]): number =>
  2 + fields.reduce((sum, [key, value]) => sum + key + 1 + value, 0) + Math.max(0, fields.length - 1);
const field = (name: string, valueBytes: number): [number, number] => [name.length + 2, valueBytes];

const answerValue = Math.max(
  jsonString(MAX_TEXT_ANSWER_LENGTH),
  jsonArray(MAX_LIST_ANSWER_ENTRIES, jsonString(MAX_LIST_ANSWER_ENTRY_LENGTH)),
  LONGEST_JSON_NUMBER,
  'null'.length,
);
const answer = jsonObject(
  Array.from({ length: MAX_QUESTIONS }, () => [jsonString(MAX_ANSWER_KEY_LENGTH), answerValue]),
);

/** Bytes of the largest valid input of each rater method, as the renderer's client sends it (JSON.stringify). */
export const RATER_INPUT_BYTES = {
  'rater.session': jsonObject([]),
  'rater.next': jsonObject([field('count', String(MAX_NEXT_COUNT).length)]),
  'rater.submit': jsonObject([
    field('assignmentId', LONGEST_ID),
    field('answer', answer),
    field('activeMs', String(MAX_ACTIVE_MS).length),
    field('prefetch', String(MAX_NEXT_COUNT).length),
  ]),
  'rater.undo': jsonObject([]),
  'rater.skip': jsonObject([field('assignmentId', LONGEST_ID)]),
  'rater.flag': jsonObject([field('assignmentId', LONGEST_ID), field('comment', jsonString(MAX_FLAG_COMMENT_LENGTH))]),
} satisfies Record<keyof typeof raterMethods, number>; // a new rater method must say how large its input can be

/**
 * The body limit for rater tokens: the largest of those (rater.submit with every answer at its
 * longest, about 1.2 MB). Typical submits are a few hundred bytes; the bound is what the contract
 * allows, not what raters usually send.
 */
export const RATER_BODY_LIMIT_BYTES = Math.max(...Object.values(RATER_INPUT_BYTES));
