import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate, openDatabase, schemaVersion } from '../../src-main/store/db';
import { tempDir } from '../helpers/factories';

const tableColumns = (db: Database.Database): Record<string, string[]> => {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((table) => [
      table,
      (db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name),
    ]),
  );
};

describe('migrations', () => {
  it('apply from empty with WAL, foreign keys and synchronous=FULL', () => {
    const db = openDatabase(path.join(tempDir(), 'project.sqlite'));
    expect(schemaVersion(db)).toBe(loadMigrations().length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const tables = Object.keys(tableColumns(db));
    for (const table of [
      'campaigns',
      'items',
      'raters',
      'assignments',
      'judgements',
      'features',
      'examples',
      'documents',
      'jobs',
    ])
      expect(tables).toContain(table);
    db.close();
  });

  it('refuse a database newer than the app, with a message naming the file and versions', () => {
    const file = path.join(tempDir(), 'project.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(file)).toThrowError(
      /project\.sqlite: schema version 999 is newer than this Sightline \(knows up to \d+\)/,
    );
  });

  it('roll back a failing migration as a whole, leaving the version where it was', () => {
    const db = new Database(path.join(tempDir(), 'project.sqlite'));
    const migrations = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(db, migrations)).toThrow(/nowhere/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuse migration files whose versions skip', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '0001_init.sql'), 'SELECT 1;');
    fs.writeFileSync(path.join(dir, '0003_late.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrowError(/0003_late.*expected version 2|3_late: expected version 2/);
  });

  it('are additive: no later version drops or renames a column of an earlier one', () => {
    const migrations = loadMigrations();
    const db = new Database(path.join(tempDir(), 'project.sqlite'));
    let before: Record<string, string[]> = {};
    for (let version = 1; version <= migrations.length; version++) {
      migrate(db, migrations.slice(0, version));
      const after = tableColumns(db);
      for (const [table, columns] of Object.entries(before)) {
        expect(after[table], `migration ${version} dropped table ${table}`).toBeDefined();
        for (const column of columns)
          expect(after[table], `migration ${version} dropped ${table}.${column}`).toContain(column);
      }
      before = after;
    }
    db.close();
  });
});
