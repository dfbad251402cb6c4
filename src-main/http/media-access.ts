import type { Db } from '../store/db';

/** A rater may load an image only if it is part of an item they have been assigned. */
export function raterMaySeeMedia(db: Db, raterId: number, sha256: string): boolean {
  return !!db
    .prepare('SELECT 1 FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.rater_id = ? AND instr(i.payload_json, ?) > 0 LIMIT 1')
    .get(raterId, sha256);
}
