// Fuzzing Gemma Scope .npz SAE imports (issue 11): byte-level mutations, zip directory and local
// header lies, and .npy header lies (shape, dtype, order, repeated or unknown keys) in otherwise
// valid archives, plus NaN/Inf weights. Every case ends in success with the original weights or bad_file.
// CI: 300 cases, fixed seed. By hand: SIGHTLINE_FUZZ_CASES=10000 npx vitest run tests/fuzz/npz.fuzz.test.ts
import { describe, expect, it } from 'vitest';
import * as f from '../engine/fixtures';
import { below, fuzzCaseCount, fuzzSeed, pick, type Mutator } from '../helpers/fuzz';
import { fuzzSaeImport, type FuzzBase } from './sae-import-fuzz';
import { ZIP_MUTATORS } from './zip-mutators';

const D_IN = 8;
const D_SAE = 16;
const sae = f.randomSae('jumprelu', D_IN, D_SAE, 12);
const ARRAYS = ['w_enc', 'w_dec', 'b_enc', 'b_dec', 'threshold'] as const;

// Header edits that make the header wrong for its data: never a consistent rewrite.
const HEADER_LIES: [string, (text: string) => string][] = [
  ['huge shape', (t) => t.replace(/'shape': \([^)]*\)/, "'shape': (1099511627776, 8)")],
  ['shape beyond 2^53', (t) => t.replace(/'shape': \([^)]*\)/, "'shape': (18014398509481984,)")],
  ['negative shape', (t) => t.replace(/'shape': \(/, "'shape': (-")],
  ['extra dimension', (t) => t.replace(/'shape': \(/, "'shape': (1, 2, ")],
  ['swapped dimensions', (t) => t.replace(/'shape': \((\d+), (\d+)\)/, "'shape': ($2, $1)")],
  ['empty shape', (t) => t.replace(/'shape': \([^)]*\)/, "'shape': ()")],
  ['half floats', (t) => t.replace("'<f4'", "'<f2'")],
  ['doubles', (t) => t.replace("'<f4'", "'<f8'")],
  ['big-endian', (t) => t.replace("'<f4'", "'>f4'")],
  ['bytes', (t) => t.replace("'<f4'", "'|u1'")],
  ['Fortran order', (t) => t.replace('False', 'True')],
  ['repeated shape', (t) => t.replace(/, }$/, ", 'shape': (4,), }")],
  ['unknown key', (t) => t.replace(/, }$/, ", 'offset': 16, }")],
  ['missing descr', (t) => t.replace(/'descr': '[^']*', /, '')],
  ['not a dict', (t) => t.replace('{', '[')],
];

function npyLies(options: f.GemmaScopeNpzOptions): Record<string, Mutator> {
  return {
    header(random) {
      const array = pick(random, ARRAYS);
      const [what, edit] = pick(random, HEADER_LIES);
      return {
        name: `${what} in ${array}.npy`,
        bytes: f.gemmaScopeNpzBytes(sae, { ...options, headers: { [array]: edit } }),
      };
    },
    nonFinite(random) {
      const field = pick(random, ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold'] as const);
      const copy = { ...sae, [field]: Float32Array.from(sae[field]!) };
      const value = pick(random, [NaN, Infinity, -Infinity]);
      const at = below(random, copy[field]!.length);
      copy[field]![at] = value;
      return { name: `${value} in ${field}[${at}]`, bytes: f.gemmaScopeNpzBytes(copy, options) };
    },
  };
}

function base(label: string, options: f.GemmaScopeNpzOptions): FuzzBase {
  return { label, bytes: f.gemmaScopeNpzBytes(sae, options), structured: { ...ZIP_MUTATORS, ...npyLies(options) } };
}

describe('Gemma Scope .npz import fuzzing', () => {
  it('every mutant ends in the original weights or bad_file, leaving the project unchanged on failure', async () => {
    const tally = await fuzzSaeImport({
      extension: '.npz',
      count: fuzzCaseCount(300),
      seed: fuzzSeed(0x6e707a),
      bases: [base('stored F32', {}), base('deflated F16', { deflate: true, dtype: 'F16' })],
    });
    // The mutations must exercise both ends: a fuzz run where nothing loads (or nothing fails) tests nothing.
    expect(tally.failed).toBeGreaterThan(tally.ok);
    expect(tally.ok).toBeGreaterThan(0);
  }, 600_000);
});
