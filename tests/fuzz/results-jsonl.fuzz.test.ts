// Fuzzing the JSONL results reader (issue 11): seeded byte-level and JSON-aware mutations of our
// own JSONL exports (pairwise sides, shuffled concept options, multi-choice examples). Every case
// must end in success or bad_file naming the file, never a crash or a hang, and a failed import
// must leave the project exactly as it was. SIGHTLINE_FUZZ_CASES=10000 runs more by hand.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCampaign } from '../../src-main/export';
import { importResults } from '../../src-main/export/import';
import type { Project } from '../../src-main/project/project';
import { fuzzResultsImport } from './results-import-fuzz';
import { ratedTemplateCampaign } from '../export/template-fixtures';
import { makeProject, tempDir } from '../helpers/factories';
import {
  below,
  fuzzCaseCount,
  fuzzSeed,
  pick,
  type Mutator,
  type Random,
} from '../helpers/fuzz';

// Infinity (what 1e309 parses to) and 2 ** 53 + 1 are the point: values JSON cannot carry exactly.
const VALUES: unknown[] = [
  null,
  0,
  -1,
  Number.POSITIVE_INFINITY,
  2 ** 53 + 1,
  '',
  'left',
  'tie',
  'R001',
  '=cmd|" /C calc"!A0',
  'x'.repeat(20_000),
  [],
  [null],
  [[null]],
  {},
  { length: 2 },
  true,
  '2025-01-15T09:12:34.000Z',
  '+275760-09-13T00:00:00.000Z',
  '-1-01-01T00:00:00Z',
];
const KEYS = [
  'item_id',
  'rater',
  'answer',
  'shown_order',
  'payload',
  'hidden',
  'condition',
  'item_kind',
  'item_position',
  'active_ms',
  'leased_at',
  'submitted_at',
  '__proto__',
  'explanationModelName',
];

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A JSON-aware mutation: parse the lines, change them, write them back (null when the base does not parse). */
function onLines(
  describe: string,
  change: (random: Random, lines: Record<string, unknown>[]) => string | null,
): Mutator {
  return (random, base) => {
    let lines: Record<string, unknown>[];
    try {
      lines = decoder
        .decode(base)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } catch {
      return null;
    }
    if (!lines.length) return null;
    const what = change(random, lines);
    return what === null
      ? null
      : {
          name: `${describe}: ${what}`,
          bytes: encoder.encode(`${lines.map((line) => JSON.stringify(line)).join('\n')}\n`),
        };
  };
}

/** A random spot inside a value (an object key or list index), to replace deep in answers, orders and payloads. */
function setDeep(random: Random, value: unknown, replacement: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  if (!keys.length) return false;
  const key = pick(random, keys);
  const inner = (value as Record<string, unknown>)[key];
  if (random() < 0.5 && setDeep(random, inner, replacement)) return true;
  (value as Record<string, unknown>)[key] = replacement;
  return true;
}

const JSONL_MUTATORS: Record<string, Mutator> = {
  field: onLines('field', (random, lines) => {
    const line = pick(random, lines);
    const key = pick(random, KEYS);
    const value = random() < 0.2 ? pick(random, lines)[pick(random, Object.keys(line))] : pick(random, VALUES);
    line[key] = value;
    return `${key} = ${JSON.stringify(value)?.slice(0, 40)}`;
  }),
  deep: onLines('deep', (random, lines) => {
    const line = pick(random, lines);
    const key = pick(random, ['answer', 'shown_order', 'payload', 'hidden']);
    const value = pick(random, VALUES);
    return setDeep(random, line[key], value) ? `inside ${key} = ${JSON.stringify(value)?.slice(0, 40)}` : null;
  }),
  drop: onLines('drop', (random, lines) => {
    const line = pick(random, lines);
    const key = pick(random, Object.keys(line));
    delete line[key];
    return key;
  }),
  lines: onLines('lines', (random, lines) => {
    const at = below(random, lines.length);
    const choice = below(random, 3);
    if (choice === 0) lines.splice(at, 0, structuredClone(lines[at]));
    else if (choice === 1 && lines.length > 1) lines.splice(at, 1);
    else lines.reverse();
    return `${['duplicate', 'delete', 'reverse'][choice]} line ${at + 1}`;
  }),
};

async function baseFiles(project: Project): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const templateId of ['pairwise', 'concept-choice', 'feature-detection']) {
    const { campaignId } = ratedTemplateCampaign(project, templateId, 3);
    const result = await exportCampaign(project.db, campaignId, {
      format: 'jsonl',
      out: path.join(tempDir(), `${templateId}.jsonl`),
    });
    files[templateId] = fs.readFileSync(result.path);
  }
  return files;
}

describe('JSONL results reader under fuzzing', () => {
  it('ends every mutated file in success or bad_file, within 20 s, and a failure leaves the project unchanged', async () => {
    const bases = await baseFiles(makeProject());
    const outcomes = await fuzzResultsImport({
      bases,
      seed: fuzzSeed(20251111),
      count: fuzzCaseCount(210),
      extension: '.jsonl',
      structured: JSONL_MUTATORS,
      importFile: (db, campaignName, file) => importResults(db, { campaignName, file, format: 'jsonl' }),
    });
    // Both endings happen: the mutations reach the reader's checks and leave some files valid.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.bad_file).toBeGreaterThan(0);
  }, 600_000);
});
