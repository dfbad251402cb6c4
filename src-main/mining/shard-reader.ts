// Streams content rows of dense activation shards into Float32Array batches. F32 rows are read
// straight into the batch's memory (no decode, no copy); F16/BF16 go through a small scratch buffer.
// Special rows (image-newline, separators) are skipped here, so they are never encoded.
import { closeSync, openSync, readSync } from 'node:fs';
import type { ShardRecord } from '../store/corpora';
import { basename } from 'node:path';
import { AppError, badFile } from '../util/errors';
import { expandSegments, ROW_SPECIAL, type RowMap } from './layout';

let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  f16Table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    f16Table[h] =
      exp === 0
        ? sign * frac * 2 ** -24
        : exp === 0x1f
          ? frac
            ? NaN
            : sign * Infinity
          : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return f16Table;
}

export interface Batch {
  x: Float32Array;
  n: number;
  doc: Int32Array;
  kind: Uint8Array;
  pos: Int32Array;
  tile: Uint16Array;
  /** with a document filter (`mine --shard`): each row's number among the corpus's content rows */
  token?: Float64Array;
  /** where the pass stands after this batch: shard ordinal and the next row within it */
  shard: number;
  nextRow: number;
}

/**
 * Only some documents' rows (a `mine --shard` slice): the others are skipped like special rows, and
 * each row read is numbered among the whole corpus's content rows (`contentBefore`: those of the
 * corpus's earlier files), as an unsharded pass numbers it.
 */
export interface RowFilter {
  documents: ReadonlySet<number>;
  contentBefore: number;
}

export class DenseShardReader {
  private rowMap: RowMap | undefined;
  private filtered: { skip: Uint8Array; content: Float64Array } | undefined;
  private readonly fd: number;
  private readonly rowBytes: number;
  private scratch = new Uint8Array(0);

  constructor(
    readonly shard: ShardRecord,
    readonly dIn: number,
  ) {
    if (shard.kind !== 'dense') throw new AppError('invalid_input', `shard ${shard.path} is not dense`);
    this.rowBytes = dIn * (shard.dtype === 'F32' ? 4 : 2);
    this.fd = openSync(shard.path, 'r');
  }

  /** Per-row meta, expanded on first use (the example phase reads by segment and never needs it). */
  get map(): RowMap {
    return (this.rowMap ??= expandSegments(this.shard.layout.segments ?? []));
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Reads rows [start, end) of the shard into out at row `at` (all of them content rows). */
  readRun(start: number, end: number, out: Float32Array, at: number): void {
    const count = end - start;
    const position = this.shard.dataOffset + start * this.rowBytes;
    const dst = out.subarray(at * this.dIn, (at + count) * this.dIn);
    if (this.shard.dtype === 'F32') {
      readFully(this.fd, new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength), position, this.shard.path);
      this.checkFinite(dst, start);
      return;
    }
    if (this.scratch.byteLength < count * this.rowBytes) this.scratch = new Uint8Array(count * this.rowBytes);
    const raw = this.scratch.subarray(0, count * this.rowBytes);
    readFully(this.fd, raw, position, this.shard.path);
    const u16 = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
    if (this.shard.dtype === 'F16') {
      const t = halfTable();
      for (let i = 0; i < u16.length; i++) dst[i] = t[u16[i]];
    } else {
      const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
      for (let i = 0; i < u16.length; i++) bits[i] = u16[i] << 16;
    }
    this.checkFinite(dst, start);
  }

  /**
   * Import refused non-finite content rows, but a shard can change after import (same size passes the
   * presence check): a NaN here would reach the encoder and fail the write on a NOT NULL column, so
   * the job fails now, naming the row (issue 11).
   */
  private checkFinite(rows: Float32Array, firstRow: number): void {
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i];
      if (v - v === 0) continue; // finite (NaN and ±Infinity give NaN)
      throw badFile(
        basename(this.shard.path),
        `rows[${firstRow + Math.floor(i / this.dIn)}]`,
        'finite activations',
        `${v} in column ${i % this.dIn}`,
      );
    }
  }

  /**
   * The next batch of up to `size` content rows starting at shard row `from`; undefined at the
   * shard's end. Rows are copied as runs of consecutive content rows.
   */
  nextBatch(from: number, size: number, ordinal: number, filter?: RowFilter): Batch | undefined {
    const m = this.map;
    const skip = filter ? this.skipMask(filter) : m.kind;
    // Without a filter the mask is the row kinds: 0 (ROW_SPECIAL) is the only row skipped.
    const skipped = filter ? (r: number) => skip[r] === 1 : (r: number) => skip[r] === ROW_SPECIAL;
    let r = from;
    while (r < m.length && skipped(r)) r++;
    if (r >= m.length) return undefined;
    const x = new Float32Array(size * this.dIn);
    const batch: Batch = {
      x,
      n: 0,
      doc: new Int32Array(size),
      kind: new Uint8Array(size),
      pos: new Int32Array(size),
      tile: new Uint16Array(size),
      ...(filter ? { token: new Float64Array(size) } : {}),
      shard: ordinal,
      nextRow: r,
    };
    let n = 0;
    while (r < m.length && n < size) {
      if (skipped(r)) {
        r++;
        continue;
      }
      let end = r;
      while (end < m.length && end - r < size - n && !skipped(end)) end++;
      this.readRun(r, end, x, n);
      batch.doc.set(m.doc.subarray(r, end), n);
      batch.kind.set(m.kind.subarray(r, end), n);
      batch.pos.set(m.pos.subarray(r, end), n);
      batch.tile.set(m.tile.subarray(r, end), n);
      if (filter && batch.token && this.filtered) {
        for (let i = r; i < end; i++) batch.token[n + i - r] = filter.contentBefore + this.filtered.content[i];
      }
      n += end - r;
      r = end;
    }
    batch.n = n;
    batch.nextRow = r;
    // A short last batch hands over a right-sized view; the worker gets exactly n rows.
    if (n < size) batch.x = x.slice(0, n * this.dIn);
    return batch;
  }

  /** 1 for the rows a filtered pass skips (special rows, other documents); each row's content ordinal in this file. */
  private skipMask(filter: RowFilter): Uint8Array {
    if (this.filtered) return this.filtered.skip;
    const m = this.map;
    const skip = new Uint8Array(m.length);
    const content = new Float64Array(m.length);
    let ordinal = 0;
    for (let r = 0; r < m.length; r++) {
      content[r] = ordinal;
      if (m.kind[r] === ROW_SPECIAL) skip[r] = 1;
      else {
        ordinal++;
        if (!filter.documents.has(m.doc[r])) skip[r] = 1;
      }
    }
    this.filtered = { skip, content };
    return skip;
  }
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const got = readSync(fd, into, done, into.byteLength - done, position + done);
    if (got === 0)
      throw new AppError(
        'bad_file',
        `${path}: data: expected ${into.byteLength} bytes at offset ${position}, file ends early (truncated since import?)`,
      );
    done += got;
  }
}
