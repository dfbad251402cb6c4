// The stored form of an example's activations (examples.token_acts_json / patch_acts_json): values
// rounded to 1e-4, either a dense JSON array or, when shorter, a sparse object
// {"n":LENGTH,"i":[indices],"v":[values]} with increasing indices and zeros left out. A feature
// fires on a few positions of a document, so for the paper's SAE (~1M example rows of 576 patches +
// 63 tokens, ~5x more with LLaVA-NeXT anyres tiles) the sparse form is most of the saving, and the
// swap that copies examples into project.sqlite holds the write lock for less. Old projects have
// dense arrays only; decodeActs reads both.
import { AppError } from '../util/errors';

/** The non-zero value texts of the current encodeActs call, reused so the dense pass does not format twice. */
let valueTexts: string[] = [];

/**
 * `values` rounded to 1e-4 as sparse JSON when that is shorter than the dense array, else dense.
 * Runs once per mined example (~1M times), so it is built by hand: one pass formats each non-zero
 * value once and builds the sparse parts while counting the dense length; the dense string is built
 * only when it wins, from the same texts.
 */
export function encodeActs(values: Float32Array): string {
  const n = values.length;
  if (valueTexts.length < n) valueTexts = new Array<string>(n);
  const texts = valueTexts;
  let indices = '';
  let stored = '';
  let nonZero = 0;
  let storedChars = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === 0) continue;
    const rounded = Math.round(v * 1e4) / 1e4;
    if (rounded === 0) continue; // also -0
    const text = String(rounded);
    if (nonZero > 0) (indices += ','), (stored += ',');
    indices += i;
    stored += text;
    storedChars += text.length;
    texts[i] = text;
    nonZero++;
  }
  // Dense: brackets, n - 1 commas, "0" for each zero and the same value texts.
  const denseLength = 2 + Math.max(0, n - 1) + (n - nonZero) + storedChars;
  const sparse = `{"n":${n},"i":[${indices}],"v":[${stored}]}`;
  if (sparse.length < denseLength) return sparse;
  let dense = '[';
  for (let i = 0; i < n; i++) {
    if (i > 0) dense += ',';
    const v = values[i];
    // Zero exactly when the first pass skipped it (v === 0 or rounded to 0).
    dense += v === 0 || Math.round(v * 1e4) === 0 ? '0' : texts[i];
  }
  return `${dense}]`;
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The values of a stored activation column (dense array or sparse object), or null for NULL.
 * `column` names the column in the error, e.g. "examples.patch_acts_json".
 */
export function decodeActs(json: string | null, column: string): number[] | null {
  if (json === null) return null;
  const bad = (expected: string) => new AppError('internal', `project.sqlite: column ${column}: expected ${expected}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw bad('JSON');
  }
  if (Array.isArray(parsed)) {
    if (!parsed.every(isNumber)) throw bad('an array of numbers');
    return parsed;
  }
  const sparseForm = '{"n":LENGTH,"i":[increasing indices below n],"v":[as many numbers]} or an array of numbers';
  if (typeof parsed !== 'object' || parsed === null) throw bad(sparseForm);
  const { n, i: indices, v: stored } = parsed as { n?: unknown; i?: unknown; v?: unknown };
  if (!Number.isInteger(n) || (n as number) < 0) throw bad(`"n" a whole number >= 0 in ${sparseForm}`);
  if (!Array.isArray(indices) || !Array.isArray(stored) || indices.length !== stored.length)
    throw bad(`"i" and "v" arrays of the same length in ${sparseForm}`);
  const values = new Array<number>(n as number).fill(0);
  let previous = -1;
  for (let k = 0; k < indices.length; k++) {
    const at = indices[k] as unknown;
    if (!Number.isInteger(at) || (at as number) <= previous || (at as number) >= (n as number)) {
      throw bad(
        `"i" increasing whole numbers below n = ${n as number} (i[${k}] is ${JSON.stringify(at)}) in ${sparseForm}`,
      );
    }
    if (!isNumber(stored[k])) throw bad(`"v" numbers (v[${k}] is ${JSON.stringify(stored[k])}) in ${sparseForm}`);
    values[at as number] = stored[k];
    previous = at as number;
  }
  return values;
}
