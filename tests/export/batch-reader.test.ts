// The export's second connection (batch-reader.ts) must read the same snapshot as the exporting
// thread: what was committed before the pin is seen by both, what is committed after by neither.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchReader } from '../../src-main/export/batch-reader';
import { tempDir } from '../helpers/factories';

const opened: { close: () => void }[] = [];
afterEach(() => {
  while (opened.length) opened.pop()!.close();
});

function database(file: string, options?: Database.Options) {
  const db = new Database(file, options);
  opened.push(db);
  return db;
}

describe('BatchReader', () => {
  it('reads on the snapshot pinned together with the exporting connection', async () => {
    const file = path.join(tempDir(), 'snapshot.sqlite');
    const writer = database(file);
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = writer.prepare('INSERT INTO t (v) VALUES (?)');
    insert.run('before start');
    const batchReader = await BatchReader.start(file);
    opened.push(batchReader);
    insert.run('after start, before pin'); // committed before the pin: both see it
    const reader = database(file, { readonly: true });
    batchReader.pinSnapshot(writer, reader);
    expect(writer.inTransaction).toBe(false); // the write lock is released again
    insert.run('after pin'); // committed after the pin: neither sees it

    const count = "SELECT COUNT(*), group_concat(v, '|') FROM t";
    batchReader.request(count, {});
    batchReader.request('SELECT MAX(id) FROM t WHERE id > @after', { after: 1 });
    expect(batchReader.take()).toEqual([2, 'before start|after start, before pin']);
    expect(batchReader.take()).toEqual([2]);
    expect(reader.prepare(count).raw().get()).toEqual([2, 'before start|after start, before pin']);
    expect(writer.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(3);
  });

  it('reports a failing query as an error of take(), and keeps answering after it', async () => {
    const file = path.join(tempDir(), 'errors.sqlite');
    const writer = database(file);
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const batchReader = await BatchReader.start(file);
    opened.push(batchReader);
    batchReader.pinSnapshot(writer, database(file, { readonly: true }));
    batchReader.request('SELECT nope FROM t', {});
    batchReader.request("SELECT CAST('bytes' AS BLOB)", {});
    expect(() => batchReader.take()).toThrow(/no such column: nope/);
    // BLOBs come back as Buffers, as they would from this thread's own connection.
    const [blob] = batchReader.take();
    expect(Buffer.isBuffer(blob)).toBe(true);
    expect((blob as Buffer).toString()).toBe('bytes');
  });
});
