// Structured mutations of a zip (torch .pt, Gemma Scope .npz): lies in the central directory (where an
// entry starts, its sizes, method, name, CRC), lies in a local header, and lies in the end record.
// Each changes one field of an otherwise valid archive, so the reader's cross-checks are what stands
// between the lie and wrong weights.
import { CENTRAL, LOCAL, withInt, zipRecords, type ZipRecord } from '../engine/zip-edit';
import { below, pick, type Mutator, type Random } from '../helpers/fuzz';

const U32_LIES = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** A value near `honest` or one that breaks arithmetic. */
function lieAbout(random: Random, honest: number, others: number[]): number {
  const choice = below(random, 4);
  if (choice === 0) return honest + pick(random, [-64, -4, -1, 1, 4, 64]);
  if (choice === 1 && others.length) return pick(random, others);
  return pick(random, U32_LIES);
}

function entryLie(
  describe: string,
  edit: (random: Random, bytes: Uint8Array, record: ZipRecord, all: ZipRecord[]) => Uint8Array,
): Mutator {
  return (random, base) => {
    const all = zipRecords(base);
    const record = pick(random, all);
    const bytes = edit(random, base, record, all);
    return { name: `${describe} of ${record.name}`, bytes };
  };
}

export const ZIP_MUTATORS: Record<string, Mutator> = {
  centralOffset: entryLie('central directory local header offset', (random, bytes, record, all) =>
    withInt(
      bytes,
      record.central + CENTRAL.localHeaderOffset,
      4,
      lieAbout(
        random,
        record.local,
        all.map((r) => r.local).filter((o) => o !== record.local),
      ),
    ),
  ),
  centralSize: entryLie('central directory size', (random, bytes, record, all) =>
    withInt(
      bytes,
      record.central + pick(random, [CENTRAL.compressedSize, CENTRAL.uncompressedSize]),
      4,
      lieAbout(
        random,
        record.compressedSize,
        all.map((r) => r.compressedSize),
      ),
    ),
  ),
  bothSizes: entryLie('both sizes, in both headers', (random, bytes, record, all) => {
    const value = lieAbout(
      random,
      record.compressedSize,
      all.map((r) => r.compressedSize),
    );
    let out = bytes;
    for (const at of [
      record.central + CENTRAL.compressedSize,
      record.central + CENTRAL.uncompressedSize,
      record.local + LOCAL.compressedSize,
      record.local + LOCAL.uncompressedSize,
    ])
      out = withInt(out, at, 4, value);
    return out;
  }),
  method: entryLie('compression method', (random, bytes, record) => {
    const method = pick(random, [8, 8, 1, 12, 14, 99, 0xffff]);
    const central = withInt(bytes, record.central + CENTRAL.method, 2, method);
    return random() < 0.7 ? withInt(central, record.local + LOCAL.method, 2, method) : central;
  }),
  name: entryLie('name', (random, bytes, record, all) => {
    const out = new Uint8Array(bytes);
    const other = pick(random, all).name;
    const encoded = new TextEncoder().encode(
      other.length === record.name.length ? other : record.name.replace(/.$/, '9'),
    );
    out.set(encoded, random() < 0.5 ? record.central + 46 : record.local + 30);
    return out;
  }),
  crc: entryLie('CRC-32', (random, bytes, record) =>
    withInt(
      bytes,
      pick(random, [record.central + CENTRAL.crc, record.local + LOCAL.crc]),
      4,
      Math.floor(random() * 2 ** 32),
    ),
  ),
  localHeader: entryLie('local header field', (random, bytes, record) => {
    const field = pick(random, [LOCAL.flags, LOCAL.nameLength, LOCAL.extraLength] as const);
    return withInt(bytes, record.local + field, 2, pick(random, [0, 1, 8, 0x0009, 0x7fff, 0xffff]));
  }),
  centralLengths: entryLie('central directory name/extra/comment length', (random, bytes, record) =>
    withInt(
      bytes,
      record.central + pick(random, [CENTRAL.nameLength, CENTRAL.extraLength, CENTRAL.commentLength]),
      2,
      pick(random, [0, 1, 4, 0x10, 0xfff0, 0xffff]),
    ),
  ),
  endRecord(random, base) {
    const eocd = base.length - 22;
    const field = pick(random, [8, 10, 12, 16]);
    const width = field < 12 ? 2 : 4;
    const value = width === 2 ? pick(random, [0, 1, 2, 0xffff]) : pick(random, U32_LIES);
    return { name: `end record field at +${field} = ${value}`, bytes: withInt(base, eocd + field, width, value) };
  },
};
