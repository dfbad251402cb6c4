// The `models` table (migration 0001): a language model imported from a Hugging Face folder, referenced
// (never copied) by its folder, total size and one sha256 over its files; config_json holds each
// file's path, size and sha256 and the parsed config. The demo also writes weightless rows (a name
// and a config, path NULL) that SAEs and corpora point at; those are not models one can run, so the
// lookups for imported models leave them out.
import type { Db } from './db';

export interface ModelRow {
  id: number;
  name: string;
  /** as stored: relative to the project folder when inside it (project/references.ts) */
  path: string;
  size: number;
  sha256: string;
  configJson: string;
  createdAt: number;
}

export function insertModel(db: Db, row: Omit<ModelRow, 'id'>): number {
  return Number(
    db
      .prepare(
        'INSERT INTO models (name, path, size, sha256, config_json, created_at) VALUES (@name, @path, @size, @sha256, @configJson, @createdAt)',
      )
      .run(row).lastInsertRowid,
  );
}

/** A model row without weights (the demo's stand-in): only its name and config. */
export function insertWeightlessModel(db: Db, name: string, config: unknown, createdAt: number): number {
  return Number(
    db
      .prepare(
        'INSERT INTO models (name, path, size, sha256, config_json, created_at) VALUES (?, NULL, NULL, NULL, ?, ?)',
      )
      .run(name, JSON.stringify(config), createdAt).lastInsertRowid,
  );
}

/** Any row of that name, weightless or imported (names are unique across both). */
export function modelIdByName(db: Db, name: string): number | undefined {
  return db.prepare('SELECT id FROM models WHERE name = ?').pluck().get(name) as number | undefined;
}

const COLUMNS = 'id, name, path, size, sha256, config_json AS configJson, created_at AS createdAt';

export function findModelByName(db: Db, name: string): ModelRow | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM models WHERE name = ? AND path IS NOT NULL`).get(name) as
    | ModelRow
    | undefined;
}

export function listModels(db: Db): ModelRow[] {
  return db.prepare(`SELECT ${COLUMNS} FROM models WHERE path IS NOT NULL ORDER BY id`).all() as ModelRow[];
}
