import type { Db } from './db';

/** One row of the media table: a content-addressed image the project holds. */
export interface MediaRecord {
  sha256: string;
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
}

/** Records a stored file once; the same bytes stored again keep their first row. */
export function insertMedia(db: Db, media: MediaRecord, originalName: string | null): void {
  db.prepare(
    `INSERT INTO media (sha256, mime, bytes, width, height, original_name) VALUES (@sha256, @mime, @bytes, @width, @height, @originalName)
     ON CONFLICT(sha256) DO NOTHING`,
  ).run({ ...media, originalName });
}

export function findMedia(db: Db, sha256: string): MediaRecord | undefined {
  return db.prepare('SELECT sha256, mime, bytes, width, height FROM media WHERE sha256 = ?').get(sha256) as
    | MediaRecord
    | undefined;
}

/** A rater may load an image only if it is part of an item they have been assigned. */
export function raterMaySeeMedia(db: Db, raterId: number, sha256: string): boolean {
  return !!db
    .prepare(
      'SELECT 1 FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.rater_id = ? AND instr(i.payload_json, ?) > 0 LIMIT 1',
    )
    .get(raterId, sha256);
}
