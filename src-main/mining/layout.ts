// What each row of an activation shard is: the stored form of the sidecar's row segments, with
// document ids resolved to documents.id, and their expansion into typed arrays (one entry per row,
// no per-row objects) that mining reads.

// Declared with the shard rows it is stored in; re-exported for the readers of rows.
export type { StoredSegment } from '../store/corpora';
import type { StoredSegment } from '../store/corpora';

export const ROW_SPECIAL = 0;
export const ROW_TEXT = 1;
export const ROW_IMAGE = 2;

export interface RowMap {
  length: number;
  doc: Int32Array;
  kind: Uint8Array;
  /** text: token index; image: patch index within its tile (row * cols + col) */
  pos: Int32Array;
  tile: Uint16Array;
}

export function segmentRowCount(s: StoredSegment): number {
  if (s.kind === 'text' || s.kind === 'special') return s.count;
  return s.rows * (s.cols + (s.newline ? 1 : 0));
}

export function expandSegments(segments: readonly StoredSegment[]): RowMap {
  const length = segments.reduce((n, s) => n + segmentRowCount(s), 0);
  const map: RowMap = {
    length,
    doc: new Int32Array(length),
    kind: new Uint8Array(length),
    pos: new Int32Array(length),
    tile: new Uint16Array(length),
  };
  let r = 0;
  for (const s of segments) {
    if (s.kind === 'text') {
      for (let i = 0; i < s.count; i++, r++) (map.doc[r] = s.doc), (map.kind[r] = ROW_TEXT), (map.pos[r] = s.start + i);
    } else if (s.kind === 'special') {
      for (let i = 0; i < s.count; i++, r++) (map.doc[r] = s.doc), (map.kind[r] = ROW_SPECIAL);
    } else {
      for (let y = 0; y < s.rows; y++) {
        for (let x = 0; x < s.cols; x++, r++) {
          map.doc[r] = s.doc;
          map.kind[r] = ROW_IMAGE;
          map.pos[r] = y * s.cols + x;
          map.tile[r] = s.tile;
        }
        if (s.newline) (map.doc[r] = s.doc), (map.kind[r] = ROW_SPECIAL), r++;
      }
    }
  }
  return map;
}
