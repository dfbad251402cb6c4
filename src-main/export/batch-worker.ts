// Worker thread for batch-reader.ts: a second read-only connection that runs export batch queries
// on the same snapshot as the exporting thread, so the large exports use both cores (issue 5).
// Protocol (all on `port`): the parent sets state[BEGIN] once it holds the write lock; this thread
// then starts its read transaction and sets state[BEGUN]. After that each { sql, params } message
// is answered with the batch's raw row, and { close: true } ends the transaction.
import Database, { type Statement } from 'better-sqlite3';
import { workerData, type MessagePort } from 'node:worker_threads';
import { toErrorValue } from '../util/errors';
import { BATCH_STATE } from './batch-reader';
import { registerExportFunctions } from './source';

const { dbFile, state, port } = workerData as { dbFile: string; state: Int32Array; port: MessagePort };

const db = new Database(dbFile, { readonly: true, fileMustExist: true });
registerExportFunctions(db);
Atomics.store(state, BATCH_STATE.LOADED, 1);
Atomics.notify(state, BATCH_STATE.LOADED);

// The parent holds the database's write lock from BEGIN until it sees BEGUN: no commit can fall
// between its snapshot and this one.
while (Atomics.load(state, BATCH_STATE.BEGIN) === 0) Atomics.wait(state, BATCH_STATE.BEGIN, 0, 1000);
try {
  db.exec('BEGIN');
  db.prepare('SELECT COUNT(*) FROM sqlite_schema').get(); // a read starts the snapshot
} catch (error) {
  port.postMessage({ error: toErrorValue(error) });
}
Atomics.store(state, BATCH_STATE.BEGUN, 1);
Atomics.notify(state, BATCH_STATE.BEGUN);

const statements = new Map<string, Statement>();
port.on('message', (message: { sql?: string; params?: Record<string, unknown>; close?: boolean }) => {
  if (message.close) {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
    port.close();
    return;
  }
  try {
    const sql = message.sql as string;
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql).raw()));
    const row = statement.get(message.params) as unknown[];
    // A BLOB is a Buffer over its own memory: moved to the parent, not copied.
    const moved = row.filter((cell): cell is Buffer => Buffer.isBuffer(cell) && cell.byteOffset === 0 && cell.byteLength === cell.buffer.byteLength).map((cell) => cell.buffer);
    port.postMessage({ row }, moved as ArrayBuffer[]);
  } catch (error) {
    port.postMessage({ error: toErrorValue(error) });
  }
  Atomics.add(state, BATCH_STATE.ANSWERS, 1);
  Atomics.notify(state, BATCH_STATE.ANSWERS);
});
