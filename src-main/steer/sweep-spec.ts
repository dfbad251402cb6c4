// What a sweep is, apart from running it: the k values (`--k a:b:n`), the (prompt, k) grid and its
// deterministic shards (`--shard i/n`), and the spec whose hash names the sweep. Shards of one sweep
// share the spec and its id, which is how `merge` tells them apart from shards of another.
import crypto from 'node:crypto';
import type { Precision } from '../contract/models';
import type { SteerPositions } from '../engine/lm/steering';
import type { SteerMethod } from './steer-build';
import { canonicalJson } from '../store/jobs';
import { AppError } from '../util/errors';

/**
 * Everything that decides a sweep's generations; its hash is the sweep id. Fields added after the
 * first sweeps (sae, a sampled decoding) appear only when used, so an add sweep made before them
 * keeps its id and resumes.
 */
export interface SweepSpec {
  model: { name: string; sha256: string };
  /** add, ablate, cap: the stored vector */
  vector?: { name: string; sha256: string; dModel: number };
  /** clamp: the imported SAE (sha256 over its files) and the feature set to c = k */
  sae?: { name: string; sha256: string | null; feature: number };
  method: SteerMethod;
  layer: number;
  /** "layer L" is the residual stream entering block L (transformers' hidden_states[L]) */
  hookPoint: string;
  positions: 'prompt' | 'generated' | 'all' | number[];
  /** add: the scale of v; cap: the cap c; clamp: the value c; ablate: [] (one cell per prompt, no k) */
  ks: number[];
  prompts: { count: number; sha256: string };
  /** `--images`: how many, and a sha256 over each image's bytes' sha256 in order */
  images?: { count: number; sha256: string };
  chat: boolean;
  precision: Precision;
  decoding:
    | { kind: 'greedy'; tokens: number; stopAtEos: false }
    | { kind: 'sample'; temperature: number; topP: number; tokens: number; stopAtEos: false };
  /** sampling's seed: every generation draws from its own mulberry32 stream seeded with it (0 when greedy) */
  seed: number;
}

/** The k values of a sweep's grid, in cell order: ablate has one cell per prompt, with no k. */
export const gridKs = (spec: Pick<SweepSpec, 'ks'>): (number | null)[] => (spec.ks.length > 0 ? spec.ks : [null]);

export function sweepIdOf(spec: SweepSpec): string {
  return crypto.createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

/** `a:b:n`: n values from a to b inclusive, evenly spaced; or a comma-separated list; or one number. */
export function parseKValues(raw: string): number[] {
  const range = /^([^:]+):([^:]+):([^:]+)$/.exec(raw);
  const fail = () =>
    new AppError(
      'invalid_input',
      `--k: expected a:b:n (n values from a to b inclusive), a list like 0,5,10, or one number; got "${raw}"`,
    );
  let values: number[];
  if (range) {
    const [a, b, n] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isInteger(n) || n < 1 || n > 10_000) throw fail();
    if (n === 1 && a !== b)
      throw new AppError('invalid_input', `--k ${raw}: one value cannot run from ${a} to ${b}; use n >= 2 or a = b`);
    values = Array.from({ length: n }, (_, i) => (n === 1 ? a : i === n - 1 ? b : a + ((b - a) * i) / (n - 1)));
  } else {
    values = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    if (values.length === 0 || !values.every(Number.isFinite)) throw fail();
  }
  if (new Set(values).size !== values.length)
    throw new AppError('invalid_input', `--k ${raw}: each k once (got a repeated value)`);
  return values;
}

// The slicing is shared with `mine --shard` (util/shard-slice.ts); cells are prompt-major
// (cell = promptIndex * kCount + kIndex), so a shard's k values of one prompt decode together.
export { parseShard, type Shard, shardRange as shardCells } from '../util/shard-slice';

export function positionsText(positions: SteerPositions): string {
  return typeof positions === 'string' ? positions : JSON.stringify(positions);
}

/** The first field (a dotted path) where two specs differ, or null when they are the same. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | null {
  if (canonicalJson(a) === canonicalJson(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const diff = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        at ? `${at}.${key}` : key,
      );
      if (diff) return diff;
    }
  }
  return at || '(spec)';
}
