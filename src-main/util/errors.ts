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

export function toErrorValue(error: unknown): ErrorValue {
  if (error instanceof AppError) return error.toValue();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}
