// safetensors: 8-byte little-endian header length, a JSON header, then the data region.
// https://github.com/huggingface/safetensors#format
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { badFile } from '../../util/errors.js';
import { firstInvalidUtf8 } from '../../util/utf8.js';
import { assertFinite, shapeText, type ExternalTensorRef } from '../sae-model.js';
import { DTYPE_BYTES, decodeFloats, type FloatDtype } from './dtype.js';

export interface SafetensorInfo {
  name: string;
  dtype: FloatDtype;
  shape: number[];
  /** absolute byte offset of the tensor in the file */
  fileOffset: number;
  byteLength: number;
}

export interface SafetensorsFile {
  path: string;
  size: number;
  tensors: Map<string, SafetensorInfo>;
  metadata: Record<string, string>;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Parse and validate the header; the data stays on disk until `readSafetensor`. */
/** Integer dtypes a caller may allow (delphi caches store locations as U16/U32 and tokens as I64). */
export const INT_DTYPE_BYTES: Record<string, number> = { U8: 1, I8: 1, U16: 2, I16: 2, U32: 4, I32: 4, I64: 8, U64: 8 };

export function openSafetensors(path: string, options: { allowIntegers?: boolean } = {}): SafetensorsFile {
  const file = basename(path);
  // A folder read with the wrong --format lacks the file: say which, rather than a bare ENOENT.
  if (!existsSync(path)) throw badFile(file, '(file)', `a safetensors file at ${path}`, 'none');
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw badFile(file, 'header length', 'an 8-byte little-endian header length', `a ${size}-byte file`);
    const headerLength = Number(readExactly(fd, 8, 0).readBigUInt64LE(0));
    if (headerLength > size - 8 || headerLength > MAX_HEADER_BYTES) {
      throw badFile(
        file,
        'header length',
        `at most ${Math.min(size - 8, MAX_HEADER_BYTES)} bytes (file size ${size})`,
        `${headerLength}`,
      );
    }
    const headerBytes = readExactly(fd, headerLength, 8);
    // The spec's header is UTF-8 JSON (the reference reader refuses anything else); decoding
    // leniently would turn a damaged byte into U+FFFD and read on.
    const invalid = firstInvalidUtf8(headerBytes);
    if (invalid >= 0)
      throw badFile(
        file,
        'header',
        'UTF-8 JSON',
        `byte 0x${headerBytes[invalid].toString(16).padStart(2, '0')} at byte offset ${8 + invalid}`,
      );
    let header: unknown;
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch (error) {
      throw badFile(file, 'header', 'a JSON object', (error as Error).message);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) {
      throw badFile(file, 'header', 'a JSON object', typeof header);
    }
    const dataStart = 8 + headerLength;
    const dataLength = size - dataStart;
    const tensors = new Map<string, SafetensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = (entry ?? {}) as Record<string, string>;
        continue;
      }
      tensors.set(name, parseEntry(file, name, entry, dataStart, dataLength, options.allowIntegers === true));
    }
    checkTiling(file, [...tensors.values()], dataStart, dataLength);
    return { path, size, tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

function parseEntry(
  file: string,
  name: string,
  entry: unknown,
  dataStart: number,
  dataLength: number,
  allowIntegers: boolean,
): SafetensorInfo {
  const e = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const bytesOf: Record<string, number> = allowIntegers ? { ...DTYPE_BYTES, ...INT_DTYPE_BYTES } : DTYPE_BYTES;
  if (typeof e.dtype !== 'string' || !(e.dtype in bytesOf)) {
    throw badFile(file, `${name}.dtype`, `one of ${Object.keys(bytesOf).join(', ')}`, JSON.stringify(e.dtype));
  }
  const dtype = e.dtype as FloatDtype;
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw badFile(file, `${name}.shape`, 'an array of non-negative integers', JSON.stringify(e.shape));
  }
  const shape = e.shape as number[];
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw badFile(file, `${name}.data_offsets`, '[begin, end] non-negative integers', JSON.stringify(offsets));
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw badFile(
      file,
      `${name}.data_offsets`,
      `0 <= begin <= end <= ${dataLength} (the data region)`,
      `[${begin}, ${end}]`,
    );
  }
  const expectedBytes = shape.reduce((a, b) => a * b, 1) * bytesOf[dtype];
  if (end - begin !== expectedBytes) {
    throw badFile(
      file,
      `${name}.data_offsets`,
      `${expectedBytes} bytes for shape ${shapeText(shape)} ${dtype}`,
      `${end - begin} bytes`,
    );
  }
  return { name, dtype, shape, fileOffset: dataStart + begin, byteLength: end - begin };
}

// Like the reference implementation, require the tensors to tile the data region exactly: an
// overlap or gap means the header lies about where a tensor is.
function checkTiling(file: string, tensors: SafetensorInfo[], dataStart: number, dataLength: number): void {
  const sorted = [...tensors].sort((a, b) => a.fileOffset - b.fileOffset || a.byteLength - b.byteLength);
  let expected = 0;
  for (const t of sorted) {
    const begin = t.fileOffset - dataStart;
    if (begin !== expected) {
      throw badFile(
        file,
        `${t.name}.data_offsets`,
        `begin ${expected} (tensors must tile the data region without gaps or overlaps)`,
        `begin ${begin}`,
      );
    }
    expected = begin + t.byteLength;
  }
  if (expected !== dataLength) {
    throw badFile(file, 'data region', `${expected} bytes (the end of the last tensor)`, `${dataLength} bytes`);
  }
}

/** Read one tensor as Float32Array; NaN/Inf is a bad_file error naming the tensor. */
export function readSafetensor(st: SafetensorsFile, name: string): Float32Array {
  const info = st.tensors.get(name);
  if (!info)
    throw badFile(basename(st.path), name, 'a tensor with this name', `tensors ${[...st.tensors.keys()].join(', ')}`);
  const fd = openSync(st.path, 'r');
  try {
    const bytes = readExactly(fd, info.byteLength, info.fileOffset);
    if (bytes.byteLength !== info.byteLength) {
      throw badFile(
        basename(st.path),
        name,
        `${info.byteLength} bytes of data`,
        `${bytes.byteLength} (file truncated)`,
      );
    }
    const data = decodeFloats(bytes, info.dtype);
    assertFinite(basename(st.path), name, data);
    return data;
  } finally {
    closeSync(fd);
  }
}

/** External-data reference for a tensor, only when it is F32 (ONNX reads it raw, little-endian). */
export function externalRef(
  st: SafetensorsFile,
  name: string,
  layout: ExternalTensorRef['layout'],
): ExternalTensorRef | undefined {
  const info = st.tensors.get(name);
  if (!info || info.dtype !== 'F32') return undefined;
  return { path: st.path, offset: info.fileOffset, length: info.byteLength, layout };
}
