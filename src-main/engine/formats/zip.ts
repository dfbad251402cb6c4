// Minimal zip reader over a file descriptor (PKWARE APPNOTE 4.3), ZIP64 included: torch checkpoints
// and npz files are zips that may be many GB, so we read the central directory and then only the
// entries we need, and can report the file offset of a stored entry for ONNX external data.
//
// A zip says where each entry is twice: in the central directory and in the entry's local header.
// Issue 11 found that trusting the directory alone loads wrong weights from a file that lies (an
// entry pointed at offset 0 read data.pkl's bytes as fc1.bias), so every entry's local header must
// agree with the directory (name, method, sizes), every entry must lie before the directory, and
// every read checks the CRC-32 the directory records. Any disagreement is a bad_file, never a guess.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { badFile } from '../../util/errors.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: number;
  /** general-purpose flags; bit 3 means the local header may hold zeros and a data descriptor follows */
  flags: number;
  /** CRC-32 of the uncompressed bytes, from the central directory */
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** absolute file offset of the entry's (possibly compressed) bytes, from its checked local header */
  dataOffset: number;
}

export interface ZipArchive {
  path: string;
  size: number;
  entries: Map<string, ZipEntry>;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const U32_MAX = 0xffffffff;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
/** Deflate emits at least 2 bits per 258-byte match, so no stream inflates more than 1032-fold. */
const MAX_DEFLATE_RATIO = 1032;

function read(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

const hex = (value: number) => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

/** A ZIP64 value must still be an exact offset or size: beyond 2^53 it is a lie, not a file. */
function safe(file: string, field: string, value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw badFile(file, field, `a size or offset below 2^53`, value.toString());
  return Number(value);
}

export function openZip(path: string): ZipArchive {
  const file = basename(path);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = read(fd, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0)
      throw badFile(
        file,
        'zip end of central directory',
        'a zip archive',
        'no end-of-central-directory record (truncated or not a zip)',
      );
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const locatorAt = eocd - 20;
    if (
      (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) &&
      locatorAt >= 0 &&
      tail.readUInt32LE(locatorAt) === ZIP64_LOCATOR
    ) {
      const z64At = safe(file, 'zip64 end of central directory locator', tail.readBigUInt64LE(locatorAt + 8));
      const z64 = read(fd, z64At, 56);
      if (z64.length < 56 || z64.readUInt32LE(0) !== ZIP64_EOCD)
        throw badFile(file, 'zip64 end of central directory', 'a ZIP64 record');
      count = safe(file, 'zip64 entry count', z64.readBigUInt64LE(32));
      cdSize = safe(file, 'zip64 central directory size', z64.readBigUInt64LE(40));
      cdOffset = safe(file, 'zip64 central directory offset', z64.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size)
      throw badFile(
        file,
        'zip central directory',
        `to lie within the ${size}-byte file`,
        `offset ${cdOffset} + ${cdSize}`,
      );
    const cd = read(fd, cdOffset, cdSize);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      const field = `zip central directory entry ${i}`;
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL)
        throw badFile(file, field, 'a central directory header');
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const headerEnd = p + 46 + nameLength + extraLength + commentLength;
      if (headerEnd > cd.length)
        throw badFile(
          file,
          field,
          `a header within the ${cd.length}-byte central directory`,
          `one that ends at byte ${headerEnd}`,
        );
      const name = cd.subarray(p + 46, p + 46 + nameLength).toString('utf8');
      // ZIP64 extended information: only the fields that overflowed are present, in this order.
      const zip64 = extraField(cd, p + 46 + nameLength, extraLength, ZIP64_EXTRA);
      let q = 0;
      const next64 = (what: string) => {
        if (!zip64 || q + 8 > zip64.length)
          throw badFile(
            file,
            `${name}: zip64 ${what}`,
            'a ZIP64 extra field holding it (the header says 0xffffffff)',
            'none',
          );
        q += 8;
        return safe(file, `${name}: zip64 ${what}`, zip64.readBigUInt64LE(q - 8));
      };
      if (uncompressedSize === U32_MAX) uncompressedSize = next64('uncompressed size');
      if (compressedSize === U32_MAX) compressedSize = next64('compressed size');
      if (localHeaderOffset === U32_MAX) localHeaderOffset = next64('local header offset');
      if (entries.has(name)) throw badFile(file, field, 'a unique entry name', `${name} twice`);
      if (flags & FLAG_ENCRYPTED) throw badFile(file, `${name}: flags`, 'an unencrypted entry', 'the encrypted flag');
      if (method !== 0 && method !== 8)
        throw badFile(file, `${name}: compression method`, '0 (stored) or 8 (deflate)', `${method}`);
      if (method === 0 && uncompressedSize !== compressedSize) {
        throw badFile(
          file,
          `${name}: uncompressed size`,
          `${compressedSize} (the compressed size: the entry is stored)`,
          `${uncompressedSize}`,
        );
      }
      if (method === 8 && uncompressedSize > compressedSize * MAX_DEFLATE_RATIO + 64) {
        throw badFile(
          file,
          `${name}: uncompressed size`,
          `at most ${compressedSize * MAX_DEFLATE_RATIO + 64} bytes (deflate expands at most ${MAX_DEFLATE_RATIO}-fold)`,
          `${uncompressedSize}`,
        );
      }
      const entry: ZipEntry = {
        name,
        method,
        flags,
        crc32: crc,
        compressedSize,
        uncompressedSize,
        localHeaderOffset,
        dataOffset: 0,
      };
      entry.dataOffset = checkLocalHeader(fd, file, entry, cdOffset);
      entries.set(name, entry);
      p = headerEnd;
    }
    return { path, size, entries };
  } finally {
    closeSync(fd);
  }
}

/** The body of the extra field with this id, or undefined; bad lengths end the search (they are lies the local header check catches). */
function extraField(buf: Buffer, start: number, length: number, id: number): Buffer | undefined {
  let e = start;
  const end = Math.min(start + length, buf.length);
  while (e + 4 <= end) {
    const len = buf.readUInt16LE(e + 2);
    if (e + 4 + len > end) return undefined;
    if (buf.readUInt16LE(e) === id) return buf.subarray(e + 4, e + 4 + len);
    e += 4 + len;
  }
  return undefined;
}

/**
 * Reads the entry's local header, checks that it agrees with the central directory and that the
 * entry's bytes lie before the directory, and returns where those bytes start.
 */
function checkLocalHeader(fd: number, file: string, entry: ZipEntry, cdOffset: number): number {
  const { name } = entry;
  const local = read(fd, entry.localHeaderOffset, 30);
  if (entry.localHeaderOffset + 30 > cdOffset || local.length < 30 || local.readUInt32LE(0) !== LOCAL) {
    throw badFile(
      file,
      `${name}: local header`,
      `a zip local file header at offset ${entry.localHeaderOffset}, before the central directory at ${cdOffset}`,
      'none',
    );
  }
  const nameLength = local.readUInt16LE(26);
  const extraLength = local.readUInt16LE(28);
  if (entry.localHeaderOffset + 30 + nameLength + extraLength > cdOffset) {
    throw badFile(
      file,
      `${name}: local header`,
      `name and extra fields that end before the central directory at ${cdOffset}`,
      `${nameLength} + ${extraLength} bytes from offset ${entry.localHeaderOffset + 30}`,
    );
  }
  const variable = read(fd, entry.localHeaderOffset + 30, nameLength + extraLength);
  const lie = (field: string, expected: string, found: string) =>
    badFile(file, `${name}: local header ${field}`, `${expected} (the central directory's)`, found);
  const localName = variable.subarray(0, nameLength).toString('utf8');
  if (localName !== name) throw lie('name', name, localName);
  const method = local.readUInt16LE(8);
  if (method !== entry.method) throw lie('method', `${entry.method}`, `${method}`);
  // With flag bit 3 (PyTorch's miniz writes it) the local CRC and sizes may be zero; a data descriptor
  // after the data repeats the directory's. Otherwise they must equal the directory's; 0xffffffff
  // sizes defer to the local ZIP64 field, which holds both sizes (uncompressed first).
  const deferred = (local.readUInt16LE(6) & FLAG_DATA_DESCRIPTOR) !== 0;
  const zip64 = extraField(variable, nameLength, extraLength, ZIP64_EXTRA);
  const agree = (field: string, at: number, zip64At: number, expected: number, show: (v: number) => string) => {
    let value = local.readUInt32LE(at);
    if (value === U32_MAX && zip64At >= 0 && zip64 && zip64.length >= zip64At + 8)
      value = safe(file, `${name}: local zip64 ${field}`, zip64.readBigUInt64LE(zip64At));
    if (value === expected || (deferred && value === 0)) return;
    throw lie(field, show(expected), show(value));
  };
  agree('crc-32', 14, -1, entry.crc32, hex);
  agree('compressed size', 18, 8, entry.compressedSize, String);
  agree('uncompressed size', 22, 0, entry.uncompressedSize, String);
  const start = entry.localHeaderOffset + 30 + nameLength + extraLength;
  if (start + entry.compressedSize > cdOffset) {
    throw badFile(
      file,
      `${name}: data`,
      `${entry.compressedSize} bytes from offset ${start}, before the central directory at ${cdOffset}`,
      `bytes up to ${start + entry.compressedSize} (truncated or overlapping)`,
    );
  }
  return start;
}

/**
 * An entry's whole uncompressed bytes, inflated if needed, checked against the directory's size and
 * CRC-32. Every byte a loader uses goes through here, so changed bytes never load silently.
 */
export function readEntry(zip: ZipArchive, entry: ZipEntry): Uint8Array {
  const file = basename(zip.path);
  const fd = openSync(zip.path, 'r');
  let bytes: Uint8Array;
  try {
    const raw = read(fd, entry.dataOffset, entry.compressedSize);
    if (raw.length !== entry.compressedSize)
      throw badFile(
        file,
        `${entry.name}: data`,
        `${entry.compressedSize} bytes`,
        `${raw.length} (the file changed or was truncated)`,
      );
    bytes = entry.method === 0 ? raw : inflate(file, entry, raw);
  } finally {
    closeSync(fd);
  }
  const crc = crc32(bytes) >>> 0;
  if (crc !== entry.crc32)
    throw badFile(file, `${entry.name}: crc-32`, `${hex(entry.crc32)} (the central directory's)`, hex(crc));
  return bytes;
}

function inflate(file: string, entry: ZipEntry, raw: Uint8Array): Uint8Array {
  let out: Buffer;
  try {
    // One byte of room past the declared size tells "longer than it says" apart from "exactly".
    out = inflateRawSync(raw, { maxOutputLength: entry.uncompressedSize + 1 });
  } catch (error) {
    throw badFile(
      file,
      `${entry.name}: deflate data`,
      `a deflate stream of ${entry.uncompressedSize} bytes`,
      (error as Error).message,
    );
  }
  if (out.length !== entry.uncompressedSize)
    throw badFile(
      file,
      `${entry.name}: uncompressed size`,
      `${entry.uncompressedSize} bytes (the central directory's)`,
      `${out.length}${out.length > entry.uncompressedSize ? ' or more' : ''}`,
    );
  return out;
}

/**
 * The first `length` bytes of a STORED entry, without the CRC check: only for peeking at a header
 * (an .npy's) whose entry is then read whole through readEntry before any of its data is used.
 */
export function peekStoredEntry(zip: ZipArchive, entry: ZipEntry, length: number): Uint8Array {
  if (entry.method !== 0) throw new Error('peekStoredEntry: entry is compressed; use readEntry');
  const fd = openSync(zip.path, 'r');
  try {
    return read(fd, entry.dataOffset, Math.min(length, entry.compressedSize));
  } finally {
    closeSync(fd);
  }
}
