// A second read-only connection for the large exports, in a worker thread (batch-worker.ts), so
// SQLite's share of an export runs on two cores (issue 5: the CSV export was SQLite-bound at ~150k
// rows/s on one). It reads on the same snapshot as the exporting thread: pinSnapshot() holds the
// database's write lock while both connections start their read transactions, so no commit can
// fall between the two.
//
// Calls are synchronous, like the SQLite calls they stand beside: request() posts a batch query,
// take() blocks (Atomics.wait) until the oldest request's answer is back.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Db } from '../store/db';
import { beginSnapshot, type BatchHelper } from '../store/export-rows';
import { spawnWorker, workerEntry } from '../util/worker-entry';

/** Slots of the shared Int32Array. */
export const BATCH_STATE = { LOADED: 0, BEGIN: 1, BEGUN: 2, ANSWERS: 3 } as const;

/** Waiting longer than this for the worker means it is gone: fail rather than hang the export. */
const WAIT_LIMIT_MS = 120_000;
const BEGIN_LIMIT_MS = 5_000;

export class BatchReader implements BatchHelper {
  private readonly state = new Int32Array(new SharedArrayBuffer(16));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private failure: Error | null = null;
  private answersTaken = 0;
  private closed = false;

  private constructor(dbFile: string) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = spawnWorker(
      workerEntry('export-batch-worker.cjs', 'export/batch-worker.ts'),
      { dbFile, state: this.state, port: channel.port2 },
      [channel.port2],
    );
    this.worker.on('error', (error) => (this.failure = error));
    this.worker.unref();
  }

  /** Starts the worker and waits (without blocking the event loop) until its connection is open. */
  static async start(dbFile: string): Promise<BatchReader> {
    const reader = new BatchReader(dbFile);
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (Atomics.load(reader.state, BATCH_STATE.LOADED) === 0) {
      if (reader.failure || Date.now() > deadline) {
        reader.close();
        throw reader.failure ?? new Error('export: the batch reader thread did not start');
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return reader;
  }

  /**
   * Starts the worker's read transaction together with the caller's `reader` connection, under
   * `writer`'s write lock (BEGIN IMMEDIATE). Synchronous from lock to unlock: the event loop never
   * runs meanwhile, so nothing in this process tries to write on `writer` while it is held.
   */
  pinSnapshot(writer: Db, reader: Db): void {
    writer.exec('BEGIN IMMEDIATE');
    try {
      beginSnapshot(reader);
      Atomics.store(this.state, BATCH_STATE.BEGIN, 1);
      Atomics.notify(this.state, BATCH_STATE.BEGIN);
      this.waitUntil(() => Atomics.load(this.state, BATCH_STATE.BEGUN) === 1, BATCH_STATE.BEGUN, 0, BEGIN_LIMIT_MS);
    } finally {
      writer.exec('COMMIT');
    }
    // The worker reports a failed BEGIN as a message before BEGUN.
    const early = receiveMessageOnPort(this.port)?.message as { error?: { message: string } } | undefined;
    if (early?.error) throw new Error(early.error.message);
  }

  /** Queues one batch query (raw row) on the worker; answers come back in request order. */
  request(sql: string, params: Record<string, unknown>): void {
    this.port.postMessage({ sql, params });
  }

  /** The answer to the oldest request not yet taken. */
  take(): unknown[] {
    const taken = this.answersTaken;
    this.waitUntil(
      () => Atomics.load(this.state, BATCH_STATE.ANSWERS) > taken,
      BATCH_STATE.ANSWERS,
      taken,
      WAIT_LIMIT_MS,
    );
    this.answersTaken++;
    const message = receiveMessageOnPort(this.port)?.message as
      | { row?: unknown[]; error?: { message: string } }
      | undefined;
    if (!message?.row) throw new Error(message?.error?.message ?? 'export: the batch reader thread did not answer');
    // A Buffer arrives as a plain Uint8Array: a Buffer view again, as SQLite would have returned it.
    return message.row.map((cell) =>
      cell instanceof Uint8Array && !Buffer.isBuffer(cell)
        ? Buffer.from(cell.buffer, cell.byteOffset, cell.byteLength)
        : cell,
    );
  }

  /** Ends the worker's transaction after any queued requests; the thread then exits by itself. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.failure) {
      this.port.close();
      void this.worker.terminate();
      return;
    }
    // The worker closes the channel once it has handled this (closing it here could drop it).
    this.port.postMessage({ close: true });
  }

  private waitUntil(ready: () => boolean, slot: number, value: number, limitMs: number): void {
    const deadline = Date.now() + limitMs;
    while (!ready()) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline)
        throw new Error(`export: the batch reader thread made no progress for ${limitMs / 1000}s`);
      Atomics.wait(this.state, slot, value, 100);
    }
  }
}
