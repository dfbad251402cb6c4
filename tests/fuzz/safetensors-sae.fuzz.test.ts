// Fuzzing SAE imports from safetensors (issue 11): SAELens (cfg.json + sae_weights.safetensors) and
// sparsify (cfg.json + sae.safetensors) folders go through importSae into a real project, with the
// weights file or cfg.json mutated: generic byte mutations plus header lies (the 8-byte length, each
// tensor's dtype, shape and data_offsets: overlapping, reversed, past the end, huge), duplicate and
// missing tensors, and cfg.json lies (d_in, d_sae, architecture, k, layer).
//
// Every case ends in success or bad_file, and leaves the project unchanged when it fails. Where an
// import succeeds, the SAE is read back as the engine would and its weights must be exactly the
// bytes the file holds where its header says, read by an independent strict reader here: a lying
// header never loads different numbers silently.
//
// SIGHTLINE_FUZZ_CASES=10000 npx vitest run tests/fuzz/safetensors-sae.fuzz.test.ts runs more by hand.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSae } from '../../src-main/engine/formats/detect';
import type { SaeWeights } from '../../src-main/engine/sae-model';
import { checkSaeHashes, importSae, loadOptionsOf } from '../../src-main/importers/sae-import';
import * as f from '../engine/fixtures';
import { makeProject, tempDir } from '../helpers/factories';
import {
  below,
  concat,
  databaseFingerprint,
  expectEndsWell,
  fuzzCaseCount,
  fuzzSeed,
  mutants,
  pick,
  type Mutator,
  type Random,
} from '../helpers/fuzz';

const CASES = fuzzCaseCount(300);
const SEED = fuzzSeed(11);
// d_in and d_sae differ so that a swapped shape is always a lie the config can catch.
const D_IN = 8;
const D_SAE = 12;

interface Entry {
  dtype: unknown;
  shape: unknown;
  data_offsets: unknown;
}

const encode = (text: string) => new TextEncoder().encode(text);

// ------------------------------------------------------------------ an independent header reader

/** The header as the safetensors spec reads it (strict UTF-8 JSON), or null when it does not parse. */
function strictHeader(bytes: Uint8Array): { dataStart: number; entries: Record<string, Entry> } | null {
  if (bytes.length < 8) return null;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  if (length > BigInt(bytes.length - 8)) return null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(length)));
    const entries = JSON.parse(text) as Record<string, Entry>;
    return entries && typeof entries === 'object' && !Array.isArray(entries)
      ? { dataStart: 8 + Number(length), entries }
      : null;
  } catch {
    return null;
  }
}

function split(base: Uint8Array): { header: Record<string, Entry>; data: Uint8Array } {
  const parsed = strictHeader(base)!;
  return { header: parsed.entries, data: base.subarray(parsed.dataStart) };
}

/** A safetensors file from header text and data, with an honest length unless told otherwise. */
function assemble(headerText: string, data: Uint8Array, length?: bigint): Uint8Array {
  const header = encode(headerText);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, length ?? BigInt(header.length), true);
  return concat(prefix, header, data);
}

// ------------------------------------------------------------------ structured mutators for the weights file

const tensorNames = (header: Record<string, Entry>) => Object.keys(header).filter((name) => name !== '__metadata__');

/** A mutator that edits one tensor's header entry and writes an honest length for the new header. */
function entryMutator(
  edit: (random: Random, entry: Entry, context: { dataLength: number; header: Record<string, Entry> }) => string,
): Mutator {
  return (random, base) => {
    const { header, data } = split(base);
    const name = pick(random, tensorNames(header));
    const what = edit(random, header[name], { dataLength: data.length, header });
    return { name: `${name}: ${what}`, bytes: assemble(JSON.stringify(header), data) };
  };
}

const offsetsOf = (entry: Entry) => entry.data_offsets as [number, number];

const safetensorsMutators: Record<string, Mutator> = {
  headerLength(random, base) {
    const { data } = split(base);
    const honest = BigInt(base.length - 8 - data.length);
    const size = BigInt(base.length);
    const lie = pick(random, [
      honest - 1n,
      honest + 1n,
      honest - 8n,
      honest + 8n,
      0n,
      size - 8n,
      size,
      honest + 2n ** 32n,
      2n ** 53n + 1n,
      2n ** 64n - 1n,
      100n * 1024n * 1024n + 1n,
    ]);
    const bytes = new Uint8Array(base);
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, lie), true);
    return { name: `header length ${lie} (honest ${honest})`, bytes };
  },
  dtype: entryMutator((random, entry) => {
    entry.dtype = pick(random, [
      'F16',
      'BF16',
      'F64',
      'I32',
      'U8',
      'I64',
      'BOOL',
      'f32',
      '',
      null,
      4,
      ['F32'],
      'F8_E4M3',
      '__proto__',
    ]);
    return `dtype ${JSON.stringify(entry.dtype)}`;
  }),
  shape: entryMutator((random, entry) => {
    const shape = entry.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    entry.shape = pick<unknown>(random, [
      [...shape].reverse(),
      [count],
      [...shape, 1],
      [1, ...shape],
      [],
      [0],
      [-1, ...shape.slice(1)],
      [shape[0] + 0.5, ...shape.slice(1)],
      [String(shape[0]), ...shape.slice(1)],
      [2 ** 53, 2 ** 53],
      [2 ** 31, 2 ** 31, 2 ** 31],
      [1e300, 0],
      [count * 2],
      null,
      'x',
    ]);
    return `shape ${JSON.stringify(entry.shape)}`;
  }),
  // Two mutators, so that lies a reader can only catch by checking tensors against each other
  // (overlaps, aliases) come up as often as lies about one tensor's bounds.
  offsetsOverlap: entryMutator((random, entry, { header }) => {
    const [begin, end] = offsetsOf(entry);
    const other = offsetsOf(header[pick(random, tensorNames(header))]);
    const lie = pick<[string, unknown]>(random, [
      ['overlapping the one before', [begin - 4, end - 4]],
      ['overlapping the next', [begin + 4, end + 4]],
      ["another tensor's", other],
      ['reversed', [end, begin]],
    ]);
    entry.data_offsets = lie[1];
    return `data_offsets ${lie[0]} ${JSON.stringify(lie[1])}`;
  }),
  offsetsBounds: entryMutator((random, entry, { dataLength }) => {
    const [begin, end] = offsetsOf(entry);
    const lie = pick<[string, unknown]>(random, [
      ['past the end', [begin, dataLength + 4]],
      ['shifted past the end', [begin + dataLength, end + dataLength]],
      ['huge', [2 ** 53, 2 ** 53 + (end - begin)]],
      ['beyond 2^64', [1.8446744073709552e19, 1.8446744073709552e19 + 8]],
      ['negative', [-(end - begin), 0]],
      ['fractional', [begin + 0.5, end + 0.5]],
      ['three numbers', [begin, end, end]],
      ['one number', [begin]],
      ['strings', [String(begin), String(end)]],
      ['null', null],
      ['empty', [begin, begin]],
    ]);
    entry.data_offsets = lie[1];
    return `data_offsets ${lie[0]} ${JSON.stringify(lie[1])}`;
  }),
  duplicateName(random, base) {
    // JSON.stringify cannot write a key twice, so splice the text: the later entry wins in JSON.parse.
    const { header, data } = split(base);
    const names = tensorNames(header);
    const [first, second] = [pick(random, names), pick(random, names)];
    const text = JSON.stringify(header).replace(/}$/, `,${JSON.stringify(first)}:${JSON.stringify(header[second])}}`);
    return { name: `${first} again with ${second}'s entry`, bytes: assemble(text, data) };
  },
  dropTensor(random, base) {
    const { header, data } = split(base);
    const name = pick(random, tensorNames(header));
    delete header[name];
    return { name: `without ${name}`, bytes: assemble(JSON.stringify(header), data) };
  },
  extraTensor(random, base) {
    const { header, data } = split(base);
    const extra = pick(random, [0, 4, 16]);
    header.extra = { dtype: 'F32', shape: [extra / 4], data_offsets: [data.length, data.length + extra] };
    return {
      name: `an extra ${extra}-byte tensor`,
      bytes: assemble(JSON.stringify(header), concat(data, new Uint8Array(extra))),
    };
  },
  metadata(random, base) {
    const { header, data } = split(base);
    const value = pick<unknown>(random, [
      null,
      1,
      [],
      'x',
      { a: 1 },
      { a: { b: 1 } },
      { format: 'pt', note: 'y'.repeat(100_000) },
    ]);
    (header as Record<string, unknown>).__metadata__ = value;
    return {
      name: `__metadata__ ${JSON.stringify(value).slice(0, 30)}`,
      bytes: assemble(JSON.stringify(header), data),
    };
  },
  wholeHeader(random, base) {
    const { data } = split(base);
    const text = pick(random, [
      '[]',
      'null',
      '"x"',
      '1',
      '{}',
      '',
      '{"W_enc":null}',
      '{"__proto__":{"dtype":"F32"}}',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    ]);
    return { name: `header ${JSON.stringify(text.slice(0, 30))}`, bytes: assemble(text, data) };
  },
  headerBytes(random, base) {
    // Padding the spec allows (spaces), and bytes it does not (NUL, invalid UTF-8 inside a string).
    const { header, data } = split(base);
    const text = JSON.stringify(header);
    const how = pick(random, ['spaces', 'nul', 'invalid utf-8 in metadata', 'bom']);
    if (how === 'spaces') return { name: 'header padded with spaces', bytes: assemble(`${text}       `, data) };
    if (how === 'nul') return { name: 'header padded with NUL', bytes: assemble(`${text}\u0000\u0000\u0000`, data) };
    if (how === 'bom') return { name: 'header with a BOM', bytes: assemble(`\ufeff${text}`, data) };
    const headerBytes = encode(JSON.stringify({ ...header, __metadata__: { format: 'pt\u00e9' } }));
    headerBytes[headerBytes.indexOf(0xc3)] = 0xff; // 'é' becomes 0xFF and a lone continuation byte
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
    return { name: 'invalid UTF-8 inside __metadata__', bytes: concat(prefix, headerBytes, data) };
  },
  nonFiniteWeight(random, base) {
    const { data } = split(base);
    const bytes = new Uint8Array(base);
    const at = base.length - data.length + (below(random, data.length >> 2) << 2);
    const value = pick(random, [0x7fc00000, 0x7f800000, 0xff800000]);
    new DataView(bytes.buffer).setUint32(at, value, true);
    return { name: `0x${value.toString(16)} at byte ${at}`, bytes };
  },
};

// ------------------------------------------------------------------ structured mutators for cfg.json

function cfgMutator(fields: Record<string, readonly unknown[]>): Mutator {
  return (random, base) => {
    const cfg = JSON.parse(new TextDecoder().decode(base)) as Record<string, unknown>;
    const field = pick(random, Object.keys(fields));
    const value = pick(random, fields[field]);
    if (value === undefined) delete cfg[field];
    else cfg[field] = value;
    return { name: `cfg.json ${field} = ${JSON.stringify(value)}`, bytes: encode(JSON.stringify(cfg)) };
  };
}

const DIMENSION_LIES = [
  undefined,
  0,
  -8,
  D_IN,
  D_SAE,
  D_IN * 2,
  D_SAE + 1,
  8.5,
  '8',
  null,
  2 ** 53,
  1e308,
  [8],
  { value: 8 },
];

const saeLensCfgMutators: Record<string, Mutator> = {
  lie: cfgMutator({
    d_in: DIMENSION_LIES,
    d_sae: DIMENSION_LIES,
    architecture: [
      'standard',
      'relu',
      'topk',
      'jumprelu',
      'gated',
      'batchtopk',
      'jumprelu_batchtopk',
      '',
      null,
      5,
      { name: 'topk' },
      { name: 5 },
      ['topk'],
      undefined,
    ],
    k: [undefined, 0, -1, 0.4, 1.5, 2.5, D_SAE, D_SAE + 1, 1e308, '3', null, true],
    activation_fn: ['topk', 'relu', 'tanh', null, 3],
    activation_fn_kwargs: [{ k: 0.3 }, { k: 4 }, null, 3, []],
    normalize_activations: [
      true,
      false,
      'none',
      'layer_norm',
      'constant_norm_rescale',
      'expected_average_only_in',
      'bogus',
      1,
      null,
    ],
    apply_b_dec_to_input: [false, 'no', 0, null],
    rescale_acts_by_decoder_norm: [true, 'yes', 1],
    hook_layer: [-1, 1.5, 7, '7', null, 1e308, 2 ** 53],
    metadata: [
      null,
      'x',
      3,
      [],
      { hook_name: 5 },
      { hook_name: 'blocks.99999999999999999999.hook_resid_post' },
      { hook_layer: -3 },
      { hook_layer: 0.5 },
    ],
  }),
};

const sparsifyCfgMutators: Record<string, Mutator> = {
  lie: cfgMutator({
    d_in: DIMENSION_LIES,
    num_latents: DIMENSION_LIES,
    expansion_factor: [undefined, 0, 1, 1.5, 1.4, -1, '2', null, 1e308],
    k: [undefined, 0, -1, 0.4, 1.5, D_SAE, D_SAE + 1, 1e308, '3', null],
  }),
};

// ------------------------------------------------------------------ running and checking one case

interface Layout {
  format: 'saelens' | 'sparsify';
  weightsFile: string;
  write(dir: string): void;
  /** A tensor the reader takes from another when the file lacks it. */
  tied?: Record<string, string>;
  /** The loaded SAE's arrays, as the tensors the file stores them in (undoing sparsify's transpose). */
  stored(weights: SaeWeights): Record<string, Float32Array>;
}

const SAE = f.randomSae('topk', D_IN, D_SAE, 5);

const LAYOUTS: Record<'saelens' | 'sparsify', Layout> = {
  saelens: {
    format: 'saelens',
    weightsFile: 'sae_weights.safetensors',
    write: (dir) => f.writeSaeLensDir(dir, SAE),
    stored: (w) => ({ W_enc: w.W_enc, W_dec: w.W_dec, b_enc: w.b_enc, b_dec: w.b_dec }),
  },
  sparsify: {
    format: 'sparsify',
    weightsFile: 'sae.safetensors',
    write: (dir) => f.writeSparsifyDir(dir, SAE),
    tied: { W_dec: 'encoder.weight' },
    // sparsify stores the encoder as nn.Linear: [d_sae, d_in].
    stored: (w) => ({
      'encoder.weight': f.transposeRaw(w.W_enc, w.dIn, w.dSae),
      'encoder.bias': w.b_enc,
      W_dec: w.W_dec,
      b_dec: w.b_dec,
    }),
  },
};

const bytesOf = (array: Float32Array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

/**
 * Checks a successful import against the file, read independently: every tensor the SAE uses is
 * the bytes the header places it at, in the shape it declares (sparsify documents that it takes a
 * matrix in either orientation, so a declared transpose is read transposed), and the header's
 * regions stay inside the data without overlapping.
 */
async function checkReadBack(
  label: string,
  layout: Layout,
  dir: string,
  baseWeights: Uint8Array,
  record: Awaited<ReturnType<typeof importSae>>,
): Promise<void> {
  const file = new Uint8Array(fs.readFileSync(path.join(dir, layout.weightsFile)));
  const header = strictHeader(file);
  expect(header, `${label}: imported a weights file whose header is not strict UTF-8 JSON`).not.toBeNull();
  const { dataStart, entries } = header!;
  const regions = tensorNames(entries)
    .map((name) => entries[name].data_offsets as [number, number])
    .sort((a, b) => a[0] - b[0]);
  regions.forEach(([begin, end], index) => {
    expect(
      begin <= end && end <= file.length - dataStart,
      `${label}: imported a region [${begin}, ${end}] outside the data`,
    ).toBe(true);
    if (index > 0) expect(begin >= regions[index - 1][1], `${label}: imported overlapping regions`).toBe(true);
  });
  const base = strictHeader(baseWeights)!.entries;
  const loaded = await loadSae(record.path, loadOptionsOf(record));
  checkSaeHashes(record, loaded.source.files);
  for (const [name, array] of Object.entries(layout.stored(loaded))) {
    // sparsify ties the decoder to the encoder when the file has no W_dec.
    const from = Object.hasOwn(entries, name) ? name : layout.tied?.[name];
    expect(from, `${label}: imported without ${name}`).toBeDefined();
    const entry = entries[from!];
    const baseShape = base[from!].shape as number[];
    const shape = entry.shape as number[];
    expect(entry.dtype, `${label}: ${name} imported as ${JSON.stringify(entry.dtype)}`).toBe('F32');
    const transposed =
      shape.length === 2 &&
      baseShape.length === 2 &&
      shape[0] === baseShape[1] &&
      shape[1] === baseShape[0] &&
      shape[0] !== shape[1];
    expect(
      transposed || JSON.stringify(shape) === JSON.stringify(baseShape),
      `${label}: ${name} imported with shape ${JSON.stringify(shape)}`,
    ).toBe(true);
    const asDeclared = transposed ? f.transposeRaw(array, baseShape[0], baseShape[1]) : array;
    const [begin, end] = entry.data_offsets as [number, number];
    expect(
      Buffer.from(bytesOf(asDeclared)).equals(Buffer.from(file.subarray(dataStart + begin, dataStart + end))),
      `${label}: ${name} read back differs from the file`,
    ).toBe(true);
  }
  // Whatever cfg.json said, what was recorded is something the engine can run.
  expect([record.dIn, record.dSae], label).toEqual([D_IN, D_SAE]);
  expect(['relu', 'topk', 'jumprelu', 'gated'], label).toContain(record.architecture);
  if (record.architecture === 'topk')
    expect(
      Number.isInteger(record.config.k) && record.config.k! >= 1 && record.config.k! <= D_SAE,
      `${label}: k ${record.config.k}`,
    ).toBe(true);
  if (record.layer !== null)
    expect(Number.isSafeInteger(record.layer) && record.layer >= 0, `${label}: layer ${record.layer}`).toBe(true);
}

async function fuzz(layout: Layout, mutated: 'weights' | 'cfg', structured: Record<string, Mutator>): Promise<void> {
  const project = makeProject();
  const root = tempDir('sightline-sae-fuzz-');
  const baseDir = path.join(root, 'base');
  layout.write(baseDir);
  // Something already in the project, which no failed import may touch.
  await importSae(project, { path: baseDir, name: 'original' });
  const baseWeights = new Uint8Array(fs.readFileSync(path.join(baseDir, layout.weightsFile)));
  const mutatedFile = mutated === 'weights' ? layout.weightsFile : 'cfg.json';
  const baseBytes = new Uint8Array(fs.readFileSync(path.join(baseDir, mutatedFile)));
  const before = databaseFingerprint(project.db);
  let successes = 0;
  let failures = 0;
  for (const mutant of mutants(baseBytes, { seed: SEED, count: CASES, structured })) {
    const label = `${layout.format} ${mutatedFile} case ${mutant.index} (seed ${SEED}): ${mutant.name}`;
    const dir = path.join(root, `case-${mutant.index}`);
    fs.cpSync(baseDir, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, mutatedFile), mutant.bytes);
    let record: Awaited<ReturnType<typeof importSae>> | undefined;
    const outcome = await expectEndsWell(label, async () => {
      record = await importSae(project, { path: dir, name: `case ${mutant.index}` });
    });
    if (outcome.ok) {
      successes++;
      await checkReadBack(label, layout, dir, baseWeights, record!);
      // Back to the starting project, so the next failure is compared with it.
      project.db.prepare('DELETE FROM saes WHERE id = ?').run(record!.id);
    } else {
      failures++;
      expect(databaseFingerprint(project.db), `${label}: the failure left the project changed`).toBe(before);
      expect(outcome.message, `${label}: the error names the file`).toMatch(
        /^(cfg\.json|sae_weights\.safetensors|sae\.safetensors|activation_scaler\.json): /,
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(successes, `${layout.format} ${mutatedFile}: successes`).toBeGreaterThan(0);
  expect(failures, `${layout.format} ${mutatedFile}: failures`).toBeGreaterThan(0);
}

const TIMEOUT_MS = 20_000 + CASES * 1_000;

describe('safetensors SAE files under mutation (issue 11)', () => {
  it(
    `SAELens weights: ${CASES} mutants end in success (reading back the file's numbers) or bad_file`,
    () => fuzz(LAYOUTS.saelens, 'weights', safetensorsMutators),
    TIMEOUT_MS,
  );
  it(
    `SAELens cfg.json: ${CASES} mutants end in success or bad_file`,
    () => fuzz(LAYOUTS.saelens, 'cfg', saeLensCfgMutators),
    TIMEOUT_MS,
  );
  it(
    `sparsify weights: ${CASES} mutants end in success (reading back the file's numbers) or bad_file`,
    () => fuzz(LAYOUTS.sparsify, 'weights', safetensorsMutators),
    TIMEOUT_MS,
  );
  it(
    `sparsify cfg.json: ${CASES} mutants end in success or bad_file`,
    () => fuzz(LAYOUTS.sparsify, 'cfg', sparsifyCfgMutators),
    TIMEOUT_MS,
  );
});
