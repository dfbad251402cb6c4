// One read of a dense shard at import: hashes the whole file (the reference records its sha256) and
// checks that every content row is finite on the way. Non-finite content rows are refused, not
// skipped: a NaN or Inf there means the dump itself went wrong (an F16 overflow, a bad kernel), so the
// other rows of that run are suspect too, and skipping would quietly change densities, maxima and
// examples; the error names the row, its document and token so the dump can be fixed. Special rows
// (BOS, separators, image-newline) are never encoded, so values there are left alone: a BOS row with
// a massive activation that overflowed F16 to Inf does not stop the import.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { badFile } from '../util/errors';
import { openRegularFile } from '../util/regular-file';
import type { DenseShardHeader } from './dense-shard';

/** Consecutive rows of a shard that are all content (checked) or all special (not checked). */
export interface RowRun {
  count: number;
  /** for content rows: what row `k` of the run is, e.g. 'document "d", token 3'; undefined for special rows */
  describe?: (k: number) => string;
}

const BLOCK_BYTES = 4 << 20;

function nonFinite(bits: number, dtype: DenseShardHeader['dtype']): string | undefined {
  if (dtype === 'F32')
    return (bits & 0x7f800000) === 0x7f800000
      ? (bits & 0x7fffff) !== 0
        ? 'NaN'
        : bits >>> 31
          ? '-Infinity'
          : 'Infinity'
      : undefined;
  const [exponent, mantissa] = dtype === 'F16' ? [0x7c00, 0x3ff] : [0x7f80, 0x7f];
  return (bits & exponent) === exponent
    ? (bits & mantissa) !== 0
      ? 'NaN'
      : bits & 0x8000
        ? '-Infinity'
        : 'Infinity'
    : undefined;
}

/** sha256 and size of the shard; throws bad_file on the first non-finite value of a content row. */
export function scanDenseShard(
  file: string,
  header: DenseShardHeader,
  runs: readonly RowRun[],
): { size: number; sha256: string } {
  const name = path.basename(file);
  const [rows, dIn] = header.shape;
  const width = header.dtype === 'F32' ? 4 : 2;
  const rowBytes = dIn * width;
  const hash = createHash('sha256');
  const { fd, size } = openRegularFile(file, { file: name, field: '(file)' });
  const readInto = (into: Uint8Array, position: number) => {
    let done = 0;
    while (done < into.byteLength) {
      const got = fs.readSync(fd, into, done, into.byteLength - done, position + done);
      if (got === 0) throw badFile(name, 'data', `${into.byteLength} bytes at offset ${position}`, 'end of file');
      done += got;
    }
    hash.update(into);
  };
  try {
    readInto(new Uint8Array(header.dataOffset), 0);
    const blockRows = Math.max(1, Math.floor(BLOCK_BYTES / Math.max(1, rowBytes)));
    const block = new Uint8Array(Math.min(rows, blockRows) * rowBytes);
    const words = width === 4 ? new Uint32Array(block.buffer) : new Uint16Array(block.buffer);
    let run = 0;
    let runStart = 0;
    for (let first = 0; first < rows; first += blockRows) {
      const last = Math.min(rows, first + blockRows);
      readInto(block.subarray(0, (last - first) * rowBytes), header.dataOffset + first * rowBytes);
      for (let r = first; r < last; ) {
        while (r >= runStart + runs[run].count) runStart += runs[run++].count;
        const end = Math.min(last, runStart + runs[run].count);
        const describe = runs[run].describe;
        if (describe) {
          for (let i = (r - first) * dIn, stop = (end - first) * dIn; i < stop; i++) {
            const found = nonFinite(words[i], header.dtype);
            if (found === undefined) continue;
            const row = first + Math.floor(i / dIn);
            throw badFile(
              name,
              `rows[${row}]`,
              `finite activations (a content row: ${describe(row - runStart)})`,
              `${found} in column ${i % dIn}`,
            );
          }
        }
        r = end;
      }
    }
    const tail = header.dataOffset + rows * rowBytes;
    for (let position = tail; position < size; position += BLOCK_BYTES)
      readInto(new Uint8Array(Math.min(BLOCK_BYTES, size - position)), position);
    return { size, sha256: hash.digest('hex') };
  } finally {
    fs.closeSync(fd);
  }
}
