// Worker thread for batch-reader.ts: a second read-only connection that runs export batch queries
// on the same snapshot as the exporting thread, so the large exports use both cores (issue 5).
// Protocol (all on `port`): the parent sets state[BEGIN] once it holds the write lock; this thread
// then starts its read transaction and sets state[BEGUN]. After that each { sql, params } message
// is answered with the batch's raw row, and { close: true } ends the transaction.
import { workerData, type MessagePort } from 'node:worker_threads';
import { beginSnapshot, openReadOnly, rawRowRunner, registerExportFunctions } from '../store/export-rows';
import { toErrorValue } from '../util/errors';
import { BATCH_STATE } from './batch-reader';

const { dbFile, state, port } = workerData as { dbFile: string; state: Int32Array; port: MessagePort };

const db = openReadOnly(dbFile);
registerExportFunctions(db);
Atomics.store(state, BATCH_STATE.LOADED, 1);
Atomics.notify(state, BATCH_STATE.LOADED);

// The parent holds the database's write lock from BEGIN until it sees BEGUN: no commit can fall
// between its snapshot and this one.
while (Atomics.load(state, BATCH_STATE.BEGIN) === 0) Atomics.wait(state, BATCH_STATE.BEGIN, 0, 1000);
try {
  beginSnapshot(db);
} catch (error) {
  port.postMessage({ error: toErrorValue(error) });
}
Atomics.store(state, BATCH_STATE.BEGUN, 1);
Atomics.notify(state, BATCH_STATE.BEGUN);

const runBatch = rawRowRunner(db);
port.on('message', (message: { sql?: string; params?: Record<string, unknown>; close?: boolean }) => {
  if (message.close) {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
    port.close();
    return;
  }
  try {
    const row = runBatch(message.sql as string, message.params);
    // A BLOB is a Buffer over its own memory: moved to the parent, not copied.
    const moved = row
      .filter(
        (cell): cell is Buffer =>
          Buffer.isBuffer(cell) && cell.byteOffset === 0 && cell.byteLength === cell.buffer.byteLength,
      )
      .map((cell) => cell.buffer);
    port.postMessage({ row }, moved as ArrayBuffer[]);
  } catch (error) {
    port.postMessage({ error: toErrorValue(error) });
  }
  Atomics.add(state, BATCH_STATE.ANSWERS, 1);
  Atomics.notify(state, BATCH_STATE.ANSWERS);
});
