// Format-aware mutations for activation files (issue 11 fuzzing): safetensors and .npy headers that
// lie (shapes, offsets, dtypes, header lengths), non-finite values in the data, delphi locations with
// out-of-range integers, and sidecar JSON edits (wrong values in any field, overlapping or moved
// segments, image paths that are devices or folders).
import { below, pick, type Mutator, type Random } from '../helpers/fuzz';

const HUGE = [0, 1, -1, 7, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 + 2, 1e300];
const NON_FINITE_F32 = [0x7fc00000, 0x7f800000, 0xff800000];

function safetensorsParts(base: Uint8Array): { header: Record<string, any>; data: Uint8Array } | null {
  if (base.length < 8) return null;
  const length = Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));
  try {
    return {
      header: JSON.parse(new TextDecoder().decode(base.subarray(8, 8 + length))),
      data: base.subarray(8 + length),
    };
  } catch {
    return null;
  }
}

function safetensorsJoin(header: unknown, data: Uint8Array, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const tensorNames = (header: Record<string, unknown>) => Object.keys(header).filter((k) => k !== '__metadata__');

/** Offsets of each tensor's data within the file, for value mutations. */
function tensorRegion(base: Uint8Array, name: string): { start: number; end: number; dtype: string } | null {
  const parts = safetensorsParts(base);
  const entry = parts?.header[name];
  if (!parts || !entry) return null;
  const dataStart = base.length - parts.data.length;
  return { start: dataStart + entry.data_offsets[0], end: dataStart + entry.data_offsets[1], dtype: entry.dtype };
}

export const SAFETENSORS_MUTATORS: Record<string, Mutator> = {
  shapeLie(random, base) {
    const parts = safetensorsParts(base);
    if (!parts) return null;
    const name = pick(random, tensorNames(parts.header));
    const shape = [...parts.header[name].shape];
    const choice = below(random, 4);
    if (choice === 0) shape[below(random, shape.length)] = pick(random, HUGE);
    else if (choice === 1) shape.push(pick(random, HUGE));
    else if (choice === 2) shape.pop();
    else shape.reverse();
    parts.header[name].shape = shape;
    return { name: `${name}.shape = ${JSON.stringify(shape)}`, bytes: safetensorsJoin(parts.header, parts.data) };
  },
  offsetsLie(random, base) {
    const parts = safetensorsParts(base);
    if (!parts) return null;
    const name = pick(random, tensorNames(parts.header));
    const offsets = [...parts.header[name].data_offsets];
    offsets[below(random, 2)] = pick(random, HUGE);
    parts.header[name].data_offsets = offsets;
    return {
      name: `${name}.data_offsets = ${JSON.stringify(offsets)}`,
      bytes: safetensorsJoin(parts.header, parts.data),
    };
  },
  dtypeLie(random, base) {
    const parts = safetensorsParts(base);
    if (!parts) return null;
    const name = pick(random, tensorNames(parts.header));
    const dtype = pick(random, ['F16', 'BF16', 'F32', 'F64', 'I64', 'U16', 'I32', 'BOOL', 7]);
    parts.header[name].dtype = dtype;
    return { name: `${name}.dtype = ${dtype}`, bytes: safetensorsJoin(parts.header, parts.data) };
  },
  headerLengthLie(random, base) {
    const parts = safetensorsParts(base);
    if (!parts) return null;
    const length = pick(random, [0n, 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n, BigInt(base.length)]);
    return { name: `header length ${length}`, bytes: safetensorsJoin(parts.header, parts.data, length) };
  },
  nonFiniteValue(random, base) {
    const parts = safetensorsParts(base);
    if (!parts) return null;
    const floats = tensorNames(parts.header).filter((n) => parts.header[n].dtype === 'F32');
    if (!floats.length) return null;
    const region = tensorRegion(base, pick(random, floats))!;
    if (region.end - region.start < 4) return null;
    const bytes = new Uint8Array(base);
    const at = region.start + 4 * below(random, (region.end - region.start) / 4);
    const value = pick(random, NON_FINITE_F32);
    new DataView(bytes.buffer).setUint32(at, value, true);
    return { name: `non-finite 0x${value.toString(16)} at ${at}`, bytes };
  },
};

/** Sets one element of an I64 `locations` tensor (delphi) to a value that breaks bounds. */
export const DELPHI_MUTATORS: Record<string, Mutator> = {
  ...SAFETENSORS_MUTATORS,
  locationValue(random, base) {
    const region = tensorRegion(base, 'locations');
    if (!region || region.dtype !== 'I64' || region.end === region.start) return null;
    const bytes = new Uint8Array(base);
    const at = region.start + 8 * below(random, (region.end - region.start) / 8);
    const value = pick(random, [-1n, -(2n ** 31n), 6n, 10n, 8n, 2n ** 31n, 2n ** 32n, 2n ** 63n - 1n]);
    new DataView(bytes.buffer).setBigInt64(at, value, true);
    return { name: `location ${value} at ${at}`, bytes };
  },
};

export const NPY_MUTATORS: Record<string, Mutator> = {
  headerLie(random, base) {
    const text = new TextDecoder('latin1').decode(base.subarray(0, Math.min(base.length, 256)));
    const edits: [RegExp, string][] = [
      [/\(\d+, \d+\)/, `(${pick(random, HUGE)}, ${pick(random, HUGE)})`],
      [/\(\d+, \d+\)/, `(${pick(random, HUGE)},)`],
      [/'<f[24]'/, pick(random, ["'<f8'", "'>f4'", "'<i4'", "'|b1'", "'<f2'", "'<f4'"])],
      [/False/, 'True'],
    ];
    const [pattern, replacement] = pick(random, edits);
    const match = pattern.exec(text);
    if (!match) return null;
    // Keep the header's length (pad or cut spaces before the newline) so only the field lies.
    const edited = new TextEncoder().encode(replacement);
    const bytes = new Uint8Array(base.length - match[0].length + edited.length);
    bytes.set(base.subarray(0, match.index));
    bytes.set(edited, match.index);
    bytes.set(base.subarray(match.index + match[0].length), match.index + edited.length);
    return { name: `npy header ${match[0]} -> ${replacement}`, bytes };
  },
  headerLength(random, base) {
    if (base.length < 10) return null;
    const bytes = new Uint8Array(base);
    const value = pick(random, [0, 1, 0xffff, base.length, 118]);
    new DataView(bytes.buffer).setUint16(8, value, true);
    return { name: `npy header length ${value}`, bytes };
  },
};

function jsonPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => jsonPaths(v, [...prefix, k]))];
}

const JSON_VALUES: unknown[] = [
  -1,
  0,
  1,
  2,
  3,
  2 ** 31,
  2 ** 53,
  1e300,
  -1e300,
  0.5,
  null,
  true,
  '',
  'x',
  '/dev/zero',
  '.',
  '..',
  [],
  {},
  [1],
  'doc-0',
  'text',
  'image',
  'special',
];

export const SIDECAR_MUTATORS: Record<string, Mutator> = {
  setField(random, base) {
    let sidecar: any;
    try {
      sidecar = JSON.parse(new TextDecoder().decode(base));
    } catch {
      return null;
    }
    const paths = jsonPaths(sidecar).filter((p) => p.length > 0);
    const target = pick(random, paths);
    const value = pick(random, JSON_VALUES);
    let node = sidecar;
    for (const key of target.slice(0, -1)) node = node[key];
    node[target[target.length - 1]] = value;
    return {
      name: `${target.join('.')} = ${JSON.stringify(value)}`,
      bytes: new TextEncoder().encode(JSON.stringify(sidecar)),
    };
  },
  editSegments(random: Random, base) {
    let sidecar: any;
    try {
      sidecar = JSON.parse(new TextDecoder().decode(base));
    } catch {
      return null;
    }
    const shards = sidecar.shards as { segments: unknown[] }[];
    const from = pick(random, shards);
    if (!from.segments.length) return null;
    const j = below(random, from.segments.length);
    const choice = below(random, 3);
    if (choice === 0)
      from.segments.splice(j, 0, structuredClone(from.segments[j])); // duplicate: overlap
    else if (choice === 1)
      pick(random, shards).segments.push(...from.segments.splice(j, 1)); // move: maybe split a document
    else from.segments.reverse();
    return {
      name: `segments ${['duplicate', 'move', 'reverse'][choice]} ${j}`,
      bytes: new TextEncoder().encode(JSON.stringify(sidecar)),
    };
  },
};
