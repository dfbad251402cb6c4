// Test-side zip surgery: find each entry's central directory header and local header in a zip
// written by our fixtures (no ZIP64, no comment), so a test can make one of them lie. Offsets follow
// PKWARE APPNOTE 4.3.7 (local file header) and 4.3.12 (central directory header).

export const CENTRAL = {
  method: 10,
  crc: 16,
  compressedSize: 20,
  uncompressedSize: 24,
  nameLength: 28,
  extraLength: 30,
  commentLength: 32,
  localHeaderOffset: 42,
} as const;
export const LOCAL = {
  flags: 6,
  method: 8,
  crc: 14,
  compressedSize: 18,
  uncompressedSize: 22,
  nameLength: 26,
  extraLength: 28,
} as const;

export interface ZipRecord {
  name: string;
  /** offset of the entry's central directory header */
  central: number;
  /** offset of its local file header */
  local: number;
  /** offset of its (stored or compressed) bytes */
  data: number;
  compressedSize: number;
}

export function zipRecords(bytes: Uint8Array): ZipRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = bytes.length - 22;
  if (view.getUint32(eocd, true) !== 0x06054b50)
    throw new Error('zip-edit: expected an end-of-central-directory record without a comment');
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const out: ZipRecord[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = view.getUint16(p + CENTRAL.nameLength, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    const local = view.getUint32(p + CENTRAL.localHeaderOffset, true);
    const data =
      local + 30 + view.getUint16(local + LOCAL.nameLength, true) + view.getUint16(local + LOCAL.extraLength, true);
    out.push({ name, central: p, local, data, compressedSize: view.getUint32(p + CENTRAL.compressedSize, true) });
    p +=
      46 + nameLength + view.getUint16(p + CENTRAL.extraLength, true) + view.getUint16(p + CENTRAL.commentLength, true);
  }
  return out;
}

export function zipRecord(bytes: Uint8Array, name: string): ZipRecord {
  const record = zipRecords(bytes).find((r) => r.name === name);
  if (!record) throw new Error(`zip-edit: no entry ${name}`);
  return record;
}

/** A copy of `bytes` with a little-endian integer of `width` bytes written at `at`. */
export function withInt(bytes: Uint8Array, at: number, width: 2 | 4, value: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  if (width === 2) view.setUint16(at, value, true);
  else view.setUint32(at, value >>> 0, true);
  return out;
}

/**
 * A stored zip the way PyTorch's writer (miniz) lays one out: each local header has general-purpose
 * flag bit 3 set and zero CRC and sizes, and a data descriptor follows the data; only the central
 * directory carries the real values. A reader that cross-checks local headers must still accept it.
 * With `zip64`, as for checkpoints over 4 GiB: the directory's sizes and offsets are 0xffffffff with
 * the real ones in ZIP64 extra fields, and a ZIP64 end record and locator precede the end record.
 */
export function zipWithDataDescriptors(files: Record<string, Uint8Array>, o: { zip64?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const encoder = new TextEncoder();
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = encoder.encode(name);
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(LOCAL.flags, 0x0008, true);
    lv.setUint16(LOCAL.nameLength, nameBytes.length, true);
    local.set(nameBytes, 30);
    const descriptor = new Uint8Array(16);
    const dv = new DataView(descriptor.buffer);
    dv.setUint32(0, 0x08074b50, true);
    dv.setUint32(4, crc, true);
    dv.setUint32(8, data.length, true);
    dv.setUint32(12, data.length, true);
    const extra = new Uint8Array(o.zip64 ? 28 : 0);
    if (o.zip64) {
      const xv = new DataView(extra.buffer);
      xv.setUint16(0, 0x0001, true);
      xv.setUint16(2, 24, true);
      xv.setBigUint64(4, BigInt(data.length), true);
      xv.setBigUint64(12, BigInt(data.length), true);
      xv.setBigUint64(20, BigInt(offset), true);
    }
    const header = new Uint8Array(46 + nameBytes.length + extra.length);
    const cv = new DataView(header.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0008, true);
    cv.setUint32(CENTRAL.crc, crc, true);
    cv.setUint32(CENTRAL.compressedSize, data.length, true);
    cv.setUint32(CENTRAL.uncompressedSize, data.length, true);
    cv.setUint16(CENTRAL.nameLength, nameBytes.length, true);
    cv.setUint32(CENTRAL.localHeaderOffset, offset, true);
    header.set(nameBytes, 46);
    if (o.zip64) {
      for (const at of [CENTRAL.compressedSize, CENTRAL.uncompressedSize, CENTRAL.localHeaderOffset])
        cv.setUint32(at, 0xffffffff, true);
      cv.setUint16(CENTRAL.extraLength, extra.length, true);
      header.set(extra, 46 + nameBytes.length);
    }
    parts.push(local, data, descriptor);
    central.push(header);
    offset += local.length + data.length + descriptor.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, o.zip64 ? 0xffff : central.length, true);
  ev.setUint16(10, o.zip64 ? 0xffff : central.length, true);
  ev.setUint32(12, o.zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, o.zip64 ? 0xffffffff : offset, true);
  const zip64End: Uint8Array[] = [];
  if (o.zip64) {
    const record = new Uint8Array(56);
    const rv = new DataView(record.buffer);
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true);
    rv.setBigUint64(24, BigInt(central.length), true);
    rv.setBigUint64(32, BigInt(central.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(offset), true);
    const locator = new Uint8Array(20);
    const lv = new DataView(locator.buffer);
    lv.setUint32(0, 0x07064b50, true);
    lv.setBigUint64(8, BigInt(offset + cdSize), true);
    lv.setUint32(16, 1, true);
    zip64End.push(record, locator);
  }
  const out = new Uint8Array(offset + cdSize + (o.zip64 ? 76 : 0) + 22);
  let p = 0;
  for (const part of [...parts, ...central, ...zip64End, eocd]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** CRC-32 (IEEE), written out here so the test does not share the reader's implementation. */
function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
