import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../util/errors';
import { migrationsDir } from '../util/paths';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads migrations/NNNN_name.sql in order and checks that versions start at 1 and increase by 1. */
export function loadMigrations(dir = migrationsDir()): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) throw new Error(`${path.join(dir, file)}: file name: expected NNNN_name.sql`);
      return { version: Number(match[1]), name: match[2], sql: fs.readFileSync(path.join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`${dir}: migration ${migration.version}_${migration.name}: expected version ${index + 1}`);
    }
  });
  return migrations;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration newer than the database, each in its own transaction together with
 * its `PRAGMA user_version`, so a crash leaves the database at a whole version. A database from a
 * newer app is refused rather than guessed at.
 */
export function migrate(db: Db, migrations = loadMigrations(), file = db.name): number {
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) {
    throw new AppError(
      'unsupported',
      `${file}: schema version ${current} is newer than this Sightline (knows up to ${latest}); open it with a newer Sightline`,
      { file, version: current, supported: latest },
    );
  }
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return schemaVersion(db);
}

/**
 * Opens a project database: WAL so readers never block the writer, foreign keys on, and
 * synchronous=FULL so a judgement acknowledged to a rater survives a crash or power loss.
 */
export function openDatabase(file: string, options: { migrations?: Migration[] } = {}): Db {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations ?? loadMigrations(), file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** JSON columns: parse with a clear message if a row was corrupted by hand. */
export function parseJson<T>(text: string | null, column: string): T {
  if (text === null) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new AppError('internal', `project.sqlite: column ${column}: expected JSON`);
  }
}

/**
 * A project's database with the folder it lives in: what store functions take when they store or
 * resolve paths relative to the project (util/stored-paths.ts). A Project satisfies it.
 */
export interface ProjectConnection {
  db: Db;
  dir: string;
}
