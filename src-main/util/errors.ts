// Typed errors that cross the bridge as values: {ok:false, error:{code, message, details}}.
export const ERROR_CODES = [
  'invalid_input', // the input failed its schema
  'unauthorized', // no or unknown token
  'forbidden', // the token's role may not call this method
  'not_found',
  'conflict', // e.g. a lease expired, overlap reached, a name already taken
  'bad_file', // an imported file is malformed: the message names the file, the field and what was expected
  'unsupported', // e.g. a database newer than the app
  'cancelled',
  'busy', // project.sqlite's lock stayed taken past busy_timeout (another process writing); try again
  'too_large', // an HTTP request body over its role's limit (413)
  'too_many_requests', // too many calls or event streams at once on one token (429); try again
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorValue {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toValue(): ErrorValue {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** A malformed file: always names the file, the field and what was expected. */
export function badFile(file: string, field: string, expected: string, found?: string): AppError {
  const tail = found === undefined ? '' : `, found ${found}`;
  return new AppError('bad_file', `${file}: ${field}: expected ${expected}${tail}`, { file, field, expected, found });
}

/** SQLite's result codes for a lock another connection holds (better-sqlite3's SqliteError.code). */
const LOCK_CODES = /^SQLITE_(BUSY|LOCKED)(_|$)/;

export function toErrorValue(error: unknown): ErrorValue {
  if (error instanceof AppError) return error.toValue();
  const message = error instanceof Error ? error.message : String(error);
  const sqliteCode = (error as { code?: unknown } | null)?.code;
  if (typeof sqliteCode === 'string' && LOCK_CODES.test(sqliteCode)) {
    // A rater's writes (next, submit, skip, undo, flag) are each one statement or one immediate
    // transaction, so for them a lock that could not be taken means nothing was written.
    return {
      code: 'busy',
      message: `the project database is locked by another process (for example the last step of a mine, which can hold it for several seconds); try again in a few seconds (${sqliteCode})`,
      details: { sqliteCode },
    };
  }
  return { code: 'internal', message };
}
