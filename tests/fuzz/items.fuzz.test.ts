// Fuzzing the campaign item files (issue 11): CSV and JSONL item files, and the column mapping
// file, go through `sightline campaign create --items FILE [--mapping MAP.json]` in process (the
// same option parsing, strict UTF-8 decoding, contract validation and handler as the real CLI).
// Every mutant must end in success or a bad_file error, with the project unchanged after a failure.
//
// SIGHTLINE_FUZZ_CASES=10000 npx vitest run tests/fuzz/items.fuzz.test.ts runs more by hand.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCreateCommand } from '../../src-main/cli/commands/campaign';
import { parseCommandArgs, type Output } from '../../src-main/cli/command';
import type { TemplateSpec } from '../../src-main/contract/templates';
import { requiredPayloadFields } from '../../src-main/domain/campaigns/mapping';
import { makeConceptCampaign, makeProject, tempDir } from '../helpers/factories';
import {
  below,
  databaseFingerprint,
  expectEndsWell,
  fuzzCaseCount,
  fuzzSeed,
  mutants,
  pick,
  type Mutator,
} from '../helpers/fuzz';

const CASES = fuzzCaseCount(300);
const SEED = fuzzSeed(11);
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A researcher's own template: its prompt substitutes ${var}s from the payload, its options come from a column. */
const TEMPLATE: TemplateSpec = {
  id: 'fuzz-concept',
  version: 1,
  title: 'Which concept?',
  display: [
    { type: 'text', field: 'question', label: 'Question' },
    { type: 'text', field: 'answer', label: 'Answer' },
  ],
  questions: [
    {
      id: 'concept',
      type: 'choice',
      prompt: 'Which concept is "${answer}" about (asked: ${question})?',
      optionsFromPayload: 'options',
      shuffle: true,
    },
    { id: 'coherence', type: 'scale', prompt: 'How coherent is it?', min: 1, max: 5 },
  ],
} as TemplateSpec;

const CSV_BASE = [
  'question,answer,options,hidden.k,gold.concept,condition,kind',
  '"What is shown?","It looks like a ""goldfish"", swimming.","[""goldfish"",""volcano"",""tabby cat""]",15,,k=15,normal',
  '"What is shown?","A bus,\nyellow and long","[""school bus"",""strawberry""]",0,school bus,k=0,gold',
  'Describe it,Red fruit with seeds,"[""strawberry"",""volcano""]",,,k=?,',
  '',
].join('\n');

const JSONL_BASE = [
  {
    question: 'What is shown?',
    answer: 'It looks like a "goldfish".',
    options: ['goldfish', 'volcano', 'tabby cat'],
    'hidden.k': 15,
    condition: 'k=15',
  },
  {
    question: 'What is shown?',
    answer: 'A bus,\nyellow',
    options: ['school bus', 'strawberry'],
    'hidden.k': '0',
    'gold.concept': 'school bus',
    kind: 'gold',
  },
  {
    question: 'Describe it',
    answer: 'Red fruit',
    options: [{ value: 'strawberry', label: 'Strawberry' }, 'volcano'],
    condition: null,
  },
]
  .map((row) => JSON.stringify(row))
  .join('\n');

const MAPPING_BASE = JSON.stringify({
  payload: { question: 'question', answer: 'answer', options: 'options' },
  hidden: { k: 'hidden.k' },
  gold: { concept: 'gold.concept' },
  condition: 'condition',
  kind: 'kind',
});

// ------------------------------------------------------------------ structured mutators

const lines = (bytes: Uint8Array) => decode(bytes).split('\n');
const joined = (name: string, parts: string[]) => ({ name, bytes: encode(parts.join('\n')) });
// Names that are properties of every plain object: a row that lacks such a column must not read the prototype's.
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const HUGE = [10_000, 100_000, 1_000_000];

/** Mutations that apply to any line-based text file. */
const textMutators: Record<string, Mutator> = {
  bom(random, base) {
    const at = pick(random, ['start', 'twice', 'middle']);
    const bom = encode('\ufeff');
    if (at === 'start') return { name: 'BOM at start', bytes: new Uint8Array([...bom, ...base]) };
    if (at === 'twice') return { name: 'two BOMs', bytes: new Uint8Array([...bom, ...bom, ...base]) };
    const middle = below(random, base.length);
    return {
      name: `BOM at ${middle}`,
      bytes: new Uint8Array([...base.subarray(0, middle), ...bom, ...base.subarray(middle)]),
    };
  },
  invalidUtf8(random, base) {
    // A lone continuation byte, a truncated sequence, an overlong '/', a UTF-16 surrogate, 0xFF.
    const bad = pick(random, [
      [0x80],
      [0xc3],
      [0xe2, 0x82],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xff],
      [0xf4, 0x90, 0x80, 0x80],
    ]);
    const at = below(random, base.length + 1);
    return {
      name: `invalid UTF-8 ${bad.map((b) => b.toString(16)).join(' ')} at ${at}`,
      bytes: new Uint8Array([...base.subarray(0, at), ...bad, ...base.subarray(at)]),
    };
  },
  crlf(_random, base) {
    return { name: 'CRLF line ends', bytes: encode(decode(base).replaceAll('\n', '\r\n')) };
  },
  emptyOrBlank(random) {
    const text = pick(random, ['', '\n\n', '\ufeff', '   \n', '\r\n']);
    return { name: `whole file ${JSON.stringify(text)}`, bytes: encode(text) };
  },
  manyRows(random, base) {
    const [header, ...rows] = lines(base);
    const body = rows.filter((row) => row.trim());
    const times = pick(random, [50, 500, 5000]);
    return joined(`rows repeated ${times} times`, [header, ...Array.from({ length: times }, () => body).flat()]);
  },
};

const csvMutators: Record<string, Mutator> = {
  ...textMutators,
  brokenQuoting(random, base) {
    const text = decode(base);
    const quotes = [...text.matchAll(/"/g)].map((match) => match.index);
    const at = quotes.length ? pick(random, quotes) : below(random, text.length);
    const how = pick(random, ['drop', 'double', 'stray']);
    const replacement = how === 'drop' ? '' : how === 'double' ? '""' : '"x';
    return { name: `${how} quote at ${at}`, bytes: encode(text.slice(0, at) + replacement + text.slice(at + 1)) };
  },
  raggedRow(random, base) {
    const all = lines(base);
    const index = 1 + below(random, all.length - 2);
    const more = random() < 0.5;
    all[index] = more ? `${all[index]},extra` : all[index].replace(/,[^,]*$/, '');
    return joined(`row ${index} ${more ? 'gains' : 'loses'} a cell`, all);
  },
  duplicateHeader(random, base) {
    const [header, ...rest] = lines(base);
    const names = header.split(',');
    const from = below(random, names.length);
    const to = below(random, names.length);
    names[to] = names[from];
    return joined(`header column ${to} renamed ${names[from]}`, [names.join(','), ...rest]);
  },
  oddHeaderName(random, base) {
    const [header, ...rest] = lines(base);
    const names = header.split(',');
    const at = below(random, names.length);
    names[at] = pick(random, [...PROTOTYPE_NAMES, '', ' ', 'hidden.', 'gold.', '.', 'a'.repeat(10_000)]);
    return joined(`header column ${at} named ${JSON.stringify(names[at].slice(0, 20))}`, [names.join(','), ...rest]);
  },
  hugeField(random, base) {
    const all = lines(base);
    const index = 1 + below(random, all.length - 2);
    const size = pick(random, HUGE);
    const filler = pick(random, ['x', '"', ',', '[']);
    const cell =
      filler === '"' ? `"${'""'.repeat(size / 2)}"` : filler === ',' ? `"${','.repeat(size)}"` : filler.repeat(size);
    all[index] = `${cell},${all[index]}`;
    return joined(`row ${index}: a ${size}-character ${JSON.stringify(filler)} cell`, all);
  },
  deepOptions(random, base) {
    // A cell that holds JSON is parsed as JSON: nest it deep enough to break a recursive walker.
    const all = lines(base);
    const index = 1 + below(random, all.length - 2);
    const depth = pick(random, [100, 10_000, 200_000]);
    all[index] = all[index].replace(/"\[[^\n]*?\]"/, `"${'['.repeat(depth)}${']'.repeat(depth)}"`);
    return joined(`row ${index}: options nested ${depth} deep`, all);
  },
  badCell(random, base) {
    const all = lines(base);
    const index = 1 + below(random, all.length - 2);
    const value = pick(random, [
      'NaN',
      'Infinity',
      '-0',
      '1e309',
      '[]',
      '{}',
      '[1,2]',
      '[null]',
      '[{}]',
      '[""]',
      '{"value":1}',
      '""',
      'x'.repeat(0),
    ]);
    const cells = all[index].split(',');
    const at = below(random, cells.length);
    cells[at] = value;
    return joined(`row ${index} cell ${at} = ${value}`, [
      all[0],
      ...all.slice(1, index),
      cells.join(','),
      ...all.slice(index + 1),
    ]);
  },
};

const jsonlMutators: Record<string, Mutator> = {
  ...textMutators,
  notAnObject(random, base) {
    const all = lines(base);
    const index = below(random, all.length);
    all[index] = pick(random, [
      '[1,2]',
      '"text"',
      '42',
      'null',
      'true',
      '[]',
      '{',
      '}',
      'NaN',
      '{"a":1}{"b":2}',
      '[{"question":"q"}]',
    ]);
    return joined(`line ${index + 1} = ${all[index]}`, all);
  },
  deepNesting(random, base) {
    const all = lines(base);
    const index = below(random, all.length);
    const depth = pick(random, [100, 10_000, 200_000]);
    const field = pick(random, ['options', 'answer', 'hidden.k', 'gold.concept', 'condition', 'extra']);
    const nested =
      random() < 0.5 ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    all[index] = all[index].replace(/}\s*$/, `,"${field}":${nested}}`);
    return joined(`line ${index + 1}: ${field} nested ${depth} deep`, all);
  },
  wrongType(random, base) {
    const all = lines(base);
    const index = below(random, all.length);
    const field = pick(random, ['question', 'answer', 'options', 'hidden.k', 'gold.concept', 'condition', 'kind']);
    const value = pick(random, [
      'null',
      '0',
      '-1',
      '1e308',
      'true',
      '[]',
      '{}',
      '[1,[2]]',
      '[null,{}]',
      '""',
      '"gold"',
      '"qualification"',
      '"bogus"',
      `"${'x'.repeat(100_000)}"`,
    ]);
    all[index] = all[index].replace(/}\s*$/, `,"${field}":${value}}`);
    return joined(`line ${index + 1}: ${field} = ${value.slice(0, 20)}`, all);
  },
  prototypeKey(random, base) {
    const all = lines(base);
    const index = below(random, all.length);
    const key = pick(random, PROTOTYPE_NAMES);
    all[index] = all[index].replace(
      /^{/,
      `{"${key}":${pick(random, ['"x"', '{"question":"polluted"}', 'null', '[]'])},`,
    );
    return joined(`line ${index + 1}: key ${key}`, all);
  },
  dropField(random, base) {
    const all = lines(base);
    const index = below(random, all.length);
    const row = JSON.parse(all[index]) as Record<string, unknown>;
    const field = pick(random, Object.keys(row));
    delete row[field];
    all[index] = JSON.stringify(row);
    return joined(`line ${index + 1}: without ${field}`, all);
  },
  asArray(_random, base) {
    return {
      name: 'rows as one JSON array',
      bytes: encode(
        `[${lines(base)
          .filter((line) => line.trim())
          .join(',')}]`,
      ),
    };
  },
  duplicateKey(random, base) {
    const all = lines(base);
    const index = below(random, all.length);
    const field = pick(random, ['question', 'answer', 'options', 'kind']);
    all[index] = all[index].replace(/}\s*$/, `,"${field}":"second"}`);
    return joined(`line ${index + 1}: ${field} twice`, all);
  },
};

const mappingMutators: Record<string, Mutator> = {
  missingColumn(random, base) {
    const mapping = JSON.parse(decode(base)) as Record<string, Record<string, string> | string>;
    const group = pick(random, ['payload', 'hidden', 'gold', 'condition', 'kind'] as const);
    const missing = pick(random, ['nope', 'Question', 'question ', '', ...PROTOTYPE_NAMES]);
    if (typeof mapping[group] === 'string') mapping[group] = missing;
    else {
      const entries = mapping[group] as Record<string, string>;
      entries[pick(random, Object.keys(entries))] = missing;
    }
    return { name: `${group} maps to column ${JSON.stringify(missing)}`, bytes: encode(JSON.stringify(mapping)) };
  },
  oddField(random, base) {
    const mapping = JSON.parse(decode(base)) as Record<string, Record<string, string>>;
    const group = pick(random, ['payload', 'hidden', 'gold', 'expected'] as const);
    const field = pick(random, [...PROTOTYPE_NAMES, 'gold', 'expected', '', 'question']);
    mapping[group] = { ...mapping[group], [field]: pick(random, ['question', 'answer', 'kind', 'condition']) };
    return { name: `${group}.${field || '(empty)'} added`, bytes: encode(JSON.stringify(mapping)) };
  },
  dropPayloadField(random, base) {
    const mapping = JSON.parse(decode(base)) as { payload: Record<string, string> };
    const field = pick(random, Object.keys(mapping.payload));
    delete mapping.payload[field];
    return { name: `payload.${field} removed`, bytes: encode(JSON.stringify(mapping)) };
  },
  wrongShape(random, base) {
    const mapping = JSON.parse(decode(base)) as Record<string, unknown>;
    const group = pick(random, ['payload', 'hidden', 'gold', 'condition', 'kind', 'extra']);
    mapping[group] = pick(random, [null, 1, [], ['question'], { a: 1 }, { a: null }, true, '']);
    return { name: `${group} = ${JSON.stringify(mapping[group])}`, bytes: encode(JSON.stringify(mapping)) };
  },
  notAnObject(random) {
    const text = pick(random, ['[]', 'null', '"payload"', '42', '', '{']);
    return { name: `mapping file ${JSON.stringify(text)}`, bytes: encode(text) };
  },
};

// ------------------------------------------------------------------ running one case

const quiet: Output = { json: true, info() {}, result() {} };

/** `sightline campaign create` in process, as a researcher would call it. */
async function createFromFiles(
  projectDir: string,
  name: string,
  files: { items: string; mapping?: string; template: string },
): Promise<void> {
  const argv = ['--project', projectDir, '--name', name, '--template-file', files.template, '--items', files.items];
  if (files.mapping) argv.push('--mapping', files.mapping);
  await campaignCreateCommand.run(parseCommandArgs(campaignCreateCommand, argv), quiet);
}

interface FuzzTarget {
  label: string;
  base: string;
  itemsName: string;
  structured: Record<string, Mutator>;
  /** Which file the mutant replaces. */
  mutates: 'items' | 'mapping';
  fixedItems?: string;
}

async function fuzz(target: FuzzTarget): Promise<void> {
  const project = makeProject();
  // Something already in the project, which no failed import may touch.
  const existing = makeConceptCampaign(project, { items: 4 });
  const dir = tempDir('sightline-items-fuzz-');
  const template = path.join(dir, 'template.json');
  fs.writeFileSync(template, JSON.stringify(TEMPLATE));
  const items = path.join(dir, target.itemsName);
  const mapping = path.join(dir, 'mapping.json');
  if (target.fixedItems !== undefined) fs.writeFileSync(items, target.fixedItems);
  const needed = requiredPayloadFields(TEMPLATE);
  let successes = 0;
  let failures = 0;
  for (const mutant of mutants(encode(target.base), { seed: SEED, count: CASES, structured: target.structured })) {
    const label = `${target.label} case ${mutant.index} (seed ${SEED}): ${mutant.name}`;
    fs.writeFileSync(target.mutates === 'items' ? items : mapping, mutant.bytes);
    const before = databaseFingerprint(project.db);
    const outcome = await expectEndsWell(label, () =>
      createFromFiles(project.dir, `case ${mutant.index}`, {
        items,
        template,
        mapping: target.mutates === 'mapping' ? mapping : undefined,
      }),
    );
    if (!outcome.ok) {
      failures++;
      expect(databaseFingerprint(project.db), `${label}: the failure left the project changed`).toBe(before);
      // The documented error names the file it is about (the item file or the mapping file).
      expect(outcome.message, label).toMatch(new RegExp(`(${target.itemsName}|mapping\\.json)`));
      continue;
    }
    successes++;
    // A success is one new campaign whose every item carries what the template shows and references.
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns WHERE id > ?').pluck().get(existing), label).toBe(1);
    const payloads = project.db
      .prepare('SELECT payload_json FROM items WHERE campaign_id = (SELECT MAX(id) FROM campaigns)')
      .pluck()
      .all() as string[];
    expect(payloads.length, label).toBeGreaterThan(0);
    for (const json of payloads) {
      const payload = JSON.parse(json) as Record<string, unknown>;
      for (const field of needed)
        expect(
          Object.hasOwn(payload, field) && payload[field] !== '' && payload[field] !== null,
          `${label}: payload lacks ${field}: ${json.slice(0, 200)}`,
        ).toBe(true);
      expect(Array.isArray(payload.options), `${label}: options not a list`).toBe(true);
    }
    // Back to the starting project (items go with their campaign): the fingerprint of each case stays cheap.
    project.db.prepare('DELETE FROM campaigns WHERE id > ?').run(existing);
    project.db.prepare('DELETE FROM templates').run();
  }
  // Both kinds of ending occur: the fuzzer is neither all noise nor all harmless.
  expect(successes, `${target.label}: successes`).toBeGreaterThan(0);
  expect(failures, `${target.label}: failures`).toBeGreaterThan(0);
}

const TIMEOUT_MS = 20_000 + CASES * 2_000;

describe('item files under mutation (issue 11)', () => {
  it(
    `CSV: ${CASES} mutants end in success or bad_file, never a crash or a changed project`,
    () =>
      fuzz({ label: 'items.csv', base: CSV_BASE, itemsName: 'items.csv', structured: csvMutators, mutates: 'items' }),
    TIMEOUT_MS,
  );

  it(
    `JSONL: ${CASES} mutants end in success or bad_file, never a crash or a changed project`,
    () =>
      fuzz({
        label: 'items.jsonl',
        base: JSONL_BASE,
        itemsName: 'items.jsonl',
        structured: jsonlMutators,
        mutates: 'items',
      }),
    TIMEOUT_MS,
  );

  it(
    `mapping: ${CASES} mutated mapping files end in success or bad_file`,
    () =>
      fuzz({
        label: 'mapping.json',
        base: MAPPING_BASE,
        itemsName: 'items.csv',
        fixedItems: CSV_BASE,
        structured: mappingMutators,
        mutates: 'mapping',
      }),
    TIMEOUT_MS,
  );
});
