import type { Db } from './db';

/** A model row without weights (the demo's stand-in): only its name and config. */
export function insertWeightlessModel(db: Db, name: string, config: unknown, createdAt: number): number {
  return Number(
    db.prepare('INSERT INTO models (name, path, size, sha256, config_json, created_at) VALUES (?, NULL, NULL, NULL, ?, ?)').run(name, JSON.stringify(config), createdAt)
      .lastInsertRowid,
  );
}

export function modelIdByName(db: Db, name: string): number | undefined {
  return db.prepare('SELECT id FROM models WHERE name = ?').pluck().get(name) as number | undefined;
}
