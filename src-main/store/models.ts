// The `models` table (migration 0001): a language model imported from a Hugging Face folder, referenced
// (never copied) by its folder, total size and one sha256 over its files; config_json holds each
// file's path, size and sha256 and the parsed config.
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
      .prepare('INSERT INTO models (name, path, size, sha256, config_json, created_at) VALUES (@name, @path, @size, @sha256, @configJson, @createdAt)')
      .run(row).lastInsertRowid,
  );
}

const COLUMNS = 'id, name, path, size, sha256, config_json AS configJson, created_at AS createdAt';

export function findModelByName(db: Db, name: string): ModelRow | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM models WHERE name = ?`).get(name) as ModelRow | undefined;
}

export function listModels(db: Db): ModelRow[] {
  return db.prepare(`SELECT ${COLUMNS} FROM models ORDER BY id`).all() as ModelRow[];
}
