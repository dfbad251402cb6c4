// One vector per document for probes: the mean of the document's image-token rows when it has any
// (the paper pools the image positions), else of its text-token rows. Special rows (BOS, separators,
// image newlines) never count. Shards are read run by run (one document and kind at a time), so
// memory is one run plus the [documents, d] result.
import { closeSync, openSync, readSync } from 'node:fs';
import { decodeFloats, type FloatDtype } from '../engine/formats/dtype';
import type { CorpusRecord, StoredSegment } from '../store/corpora';
import { AppError, badFile } from '../util/errors';
import { basename } from 'node:path';

type RowKind = 'image' | 'text';

/** The content runs of a shard in row order: [start, end) rows of one document and kind. */
function contentRuns(segments: readonly StoredSegment[]): { doc: number; kind: RowKind; start: number; end: number }[] {
  const runs: { doc: number; kind: RowKind; start: number; end: number }[] = [];
  let row = 0;
  for (const s of segments) {
    if (s.kind === 'special') row += s.count;
    else if (s.kind === 'text') {
      runs.push({ doc: s.doc, kind: 'text', start: row, end: row + s.count });
      row += s.count;
    } else if (s.newline) {
      // Each patch row is followed by one image-newline row, which is not content.
      for (let y = 0; y < s.rows; y++, row += s.cols + 1)
        runs.push({ doc: s.doc, kind: 'image', start: row, end: row + s.cols });
    } else {
      runs.push({ doc: s.doc, kind: 'image', start: row, end: row + s.rows * s.cols });
      row += s.rows * s.cols;
    }
  }
  return runs;
}

export interface PooledCorpus {
  /** [documents.length, d] in the order of `documentIds` */
  x: Float32Array;
  d: number;
  /** documents.id of each row of x */
  documentIds: number[];
  /** per row: which rows were pooled */
  pooled: ('image' | 'text')[];
}

/** `afterShard` runs once each shard is read (a job's progress and cancel check). */
export async function poolCorpus(corpus: CorpusRecord, dIn: number, afterShard?: () => void): Promise<PooledCorpus> {
  if (corpus.shards.some((s) => s.kind !== 'dense'))
    throw new AppError(
      'invalid_input',
      `corpus "${corpus.name}": probes read dense activation shards, not a sparse cache`,
    );
  const sums = new Map<number, { image: Float64Array; text: Float64Array; nImage: number; nText: number }>();
  const order: number[] = [];
  for (const shard of corpus.shards) {
    const dtype = shard.dtype as FloatDtype;
    const rowBytes = dIn * (dtype === 'F32' ? 4 : 2);
    const fd = openSync(shard.path, 'r');
    try {
      for (const run of contentRuns(shard.layout.segments ?? [])) {
        let entry = sums.get(run.doc);
        if (!entry) {
          entry = { image: new Float64Array(dIn), text: new Float64Array(dIn), nImage: 0, nText: 0 };
          sums.set(run.doc, entry);
          order.push(run.doc);
        }
        const count = run.end - run.start;
        const bytes = Buffer.alloc(count * rowBytes);
        const read = readSync(fd, bytes, 0, bytes.length, shard.dataOffset + run.start * rowBytes);
        if (read !== bytes.length)
          throw badFile(basename(shard.path), 'rows', `${shard.rows} rows of ${dIn} values`, 'a shorter file');
        const values = decodeFloats(bytes, dtype);
        const target = run.kind === 'image' ? entry.image : entry.text;
        for (let i = 0; i < count; i++) for (let k = 0; k < dIn; k++) target[k] += values[i * dIn + k];
        if (run.kind === 'image') entry.nImage += count;
        else entry.nText += count;
      }
    } finally {
      closeSync(fd);
    }
    afterShard?.();
    // Let a cancel (SIGINT, jobs.cancel) be heard between shards.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const x = new Float32Array(order.length * dIn);
  const pooled: PooledCorpus['pooled'] = [];
  order.forEach((doc, i) => {
    const e = sums.get(doc)!;
    const image = e.nImage > 0;
    const sum = image ? e.image : e.text;
    const n = image ? e.nImage : e.nText;
    for (let k = 0; k < dIn; k++) x[i * dIn + k] = sum[k] / n;
    pooled.push(image ? 'image' : 'text');
  });
  return { x, d: dIn, documentIds: order, pooled };
}
