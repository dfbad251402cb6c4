// Minimal zip reader over a file descriptor (PKWARE APPNOTE 4.3), ZIP64 included: torch checkpoints
// and npz files are zips that may be many GB, so we read the central directory and then only the
// entries we need, and can report the file offset of a stored entry for ONNX external data.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { inflateSync } from 'fflate';
import { badFile } from '../../util/errors.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
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
    if (eocd < 0) throw badFile(file, 'zip end of central directory', 'a zip archive', 'no end-of-central-directory record (truncated or not a zip)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const locatorAt = eocd - 20;
    if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && locatorAt >= 0 && tail.readUInt32LE(locatorAt) === ZIP64_LOCATOR) {
      const z64 = read(fd, Number(tail.readBigUInt64LE(locatorAt + 8)), 56);
      if (z64.length < 56 || z64.readUInt32LE(0) !== ZIP64_EOCD) throw badFile(file, 'zip64 end of central directory', 'a ZIP64 record');
      count = Number(z64.readBigUInt64LE(32));
      cdSize = Number(z64.readBigUInt64LE(40));
      cdOffset = Number(z64.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size) throw badFile(file, 'zip central directory', `to lie within the ${size}-byte file`, `offset ${cdOffset} + ${cdSize}`);
    const cd = read(fd, cdOffset, cdSize);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw badFile(file, `zip central directory entry ${i}`, 'a central directory header');
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.subarray(p + 46, p + 46 + nameLength).toString('utf8');
      // ZIP64 extended information: only the fields that overflowed are present, in this order.
      let e = p + 46 + nameLength;
      const extraEnd = e + extraLength;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (uncompressedSize === 0xffffffff) (uncompressedSize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (compressedSize === 0xffffffff) (compressedSize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(cd.readBigUInt64LE(q));
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, compressedSize, uncompressedSize, localHeaderOffset });
      p = extraEnd + commentLength;
    }
    return { path, size, entries };
  } finally {
    closeSync(fd);
  }
}

/** Absolute file offset of an entry's (possibly compressed) bytes. */
export function entryDataOffset(zip: ZipArchive, entry: ZipEntry): number {
  const fd = openSync(zip.path, 'r');
  try {
    const local = read(fd, entry.localHeaderOffset, 30);
    if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) {
      throw badFile(basename(zip.path), entry.name, 'a zip local file header', `none at offset ${entry.localHeaderOffset}`);
    }
    const start = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (start + entry.compressedSize > zip.size) {
      throw badFile(basename(zip.path), entry.name, `${entry.compressedSize} bytes of data`, `a file that ends at ${zip.size} (truncated)`);
    }
    return start;
  } finally {
    closeSync(fd);
  }
}

/** Read (and inflate) `length` bytes of an entry from `start` (within the uncompressed entry). */
export function readEntry(zip: ZipArchive, entry: ZipEntry, start = 0, length = entry.uncompressedSize - start): Uint8Array {
  const file = basename(zip.path);
  if (start + length > entry.uncompressedSize) throw badFile(file, entry.name, `at least ${start + length} bytes`, `${entry.uncompressedSize}`);
  const offset = entryDataOffset(zip, entry);
  const fd = openSync(zip.path, 'r');
  try {
    if (entry.method === 0) return read(fd, offset + start, length);
    if (entry.method !== 8) throw badFile(file, entry.name, 'zip compression method 0 (stored) or 8 (deflate)', `${entry.method}`);
    const whole = inflateSync(read(fd, offset, entry.compressedSize), { out: new Uint8Array(entry.uncompressedSize) });
    return whole.subarray(start, start + length);
  } finally {
    closeSync(fd);
  }
}
