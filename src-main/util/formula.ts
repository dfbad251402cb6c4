// The one rule against spreadsheet formula injection (OWASP's advice), for every CSV the app
// writes. Spreadsheet apps execute cells that begin with = + - @ (and tab / carriage return, which
// some strip before looking), e.g. =HYPERLINK(...) in a rater's free-text answer; such a cell gets
// a single quote in front, which shows the text as typed. Numbers we write ourselves (ids, scale
// answers, times) are not text and are left alone, so -3 stays a number. In util/ because the
// JavaScript CSV writers (export/csv-cells.ts) and the columnar engine's CSV (store/) both apply it.

/** The first characters that make a text cell a formula. */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** What a neutralised cell starts with. */
export const FORMULA_PREFIX = "'";

const TRIGGER_CODES = new Set(FORMULA_TRIGGERS.map((trigger) => trigger.charCodeAt(0)));

export function neutraliseFormula(text: string): string {
  return text.length > 0 && TRIGGER_CODES.has(text.charCodeAt(0)) ? `${FORMULA_PREFIX}${text}` : text;
}

/** The inverse, for importing our own (or any OWASP-neutralised) CSV: "'=x" back to "=x". */
export function restoreFormula(text: string): string {
  if (text.length < 2 || !text.startsWith(FORMULA_PREFIX)) return text;
  return neutraliseFormula(text.slice(1)) === text ? text.slice(1) : text;
}

/**
 * The same rule as a SQL expression over the text `value` (DuckDB; NULL stays NULL), generated
 * from FORMULA_TRIGGERS so that the engine's CSV and the JavaScript writers cannot drift apart.
 */
export function neutraliseFormulaSql(value: string): string {
  const codes = FORMULA_TRIGGERS.map((trigger) => trigger.charCodeAt(0)).join(', ');
  return `CASE WHEN unicode(${value}) IN (${codes}) THEN '${FORMULA_PREFIX.replace(/'/g, "''")}' || ${value} ELSE ${value} END`;
}
