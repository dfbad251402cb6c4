// Writes, hashes and fsyncs a large export file on a worker thread (issue 5). On a million
// judgements the JSONL file is ~650 MB: hashing it, copying it into the page cache and the final
// fsync took ~30% of the export on the thread that also runs SQLite. Here that thread only hands
// over finished chunks, and the worker's periodic fdatasync lets the disk catch up while SQLite
// works, so the last fsync has little left to do.
//
// The calls stay synchronous (AtomicFile's API): the exporting thread blocks with Atomics.wait
// only when MAX_IN_FLIGHT_BYTES are waiting (memory stays flat when the disk is slower than the
// export) and at finish(), where it reads the worker's answer with receiveMessageOnPort.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

const MAX_IN_FLIGHT_BYTES = 32 << 20;
const SYNC_EVERY_BYTES = 64 << 20;
/** Waiting longer than this for the worker means it is gone: fail rather than hang the export. */
const WAIT_LIMIT_MS = 120_000;

// Slots of the shared Int32Array.
const CHUNKS_DONE = 0;
const FAILED = 1;
const STOPPED = 2;
const ABORT = 3;

// The worker body is plain Node with no project imports, so it is evaluated from this string
// rather than built as its own bundle (see util/worker-entry.ts for workers that need one).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { fd, state, port, syncEvery } = workerData;
const hash = crypto.createHash('sha256');
let bytes = 0;
let unsynced = 0;
let error = null;
let syncing = Promise.resolve();
const fail = (e) => { error = { message: String(e && e.message || e), code: e && e.code }; Atomics.store(state, ${FAILED}, 1); };
port.on('message', (message) => {
  if (message.chunk) {
    const chunk = message.chunk;
    if (error === null && Atomics.load(state, ${ABORT}) === 0) {
      try {
        let offset = 0;
        while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset, chunk.length - offset);
        hash.update(chunk);
        bytes += chunk.length;
        unsynced += chunk.length;
        // Asynchronous (libuv's pool), so writing goes on while the disk catches up.
        if (unsynced >= syncEvery) { const previous = syncing; syncing = new Promise((resolve) => fs.fdatasync(fd, () => previous.then(resolve))); unsynced = 0; }
      } catch (e) { fail(e); }
    }
    Atomics.add(state, ${CHUNKS_DONE}, 1);
    Atomics.notify(state, ${CHUNKS_DONE});
    return;
  }
  syncing.then(() => {
    let result = {};
    if (message.finish && error === null) {
      try { fs.fsyncSync(fd); result = { sha256: hash.digest('hex'), bytes }; } catch (e) { fail(e); }
    }
    port.postMessage(error === null ? result : { error });
    port.close();
    Atomics.store(state, ${STOPPED}, 1);
    Atomics.notify(state, ${STOPPED});
  });
});
`;

/**
 * A copy of `bytes` in its own ArrayBuffer. Not bytes.slice(): on a Buffer that is a view of the
 * same memory, so a caller reusing its buffer would change (or, once transferred, lose) the data.
 */
export const copyBytes = (bytes: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(bytes);

export class BackgroundWriter {
  private readonly state = new Int32Array(new SharedArrayBuffer(16));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  /** Sizes of the chunks posted and not yet known to be written, oldest first. */
  private readonly queued: number[] = [];
  private queuedBytes = 0;
  private chunksSeenDone = 0;
  private stopped = false;

  /** `fd` stays the caller's: the worker writes to it but never closes it. */
  constructor(fd: number) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    // execArgv: [] keeps the parent's loaders (tsx under vitest and the benches) out of a worker that needs none.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { fd, state: this.state, port: channel.port2, syncEvery: SYNC_EVERY_BYTES },
      transferList: [channel.port2],
    });
    this.worker.unref();
  }

  /**
   * Queues bytes for writing. With `owned`, the caller gives up `bytes` (its memory moves to the
   * worker when it is a whole ArrayBuffer); otherwise they are copied.
   */
  write(bytes: Uint8Array, owned: boolean): void {
    if (bytes.length === 0) return;
    this.throwIfFailed();
    this.waitForRoom(bytes.length);
    const whole =
      owned &&
      bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer;
    const chunk = whole ? bytes : copyBytes(bytes);
    this.port.postMessage({ chunk }, [chunk.buffer as ArrayBuffer]);
    this.queued.push(chunk.length);
    this.queuedBytes += chunk.length;
  }

  /** Waits for every chunk to be written and fsynced; returns the file's sha256 and size. */
  finish(): { sha256: string; bytes: number } {
    const answer = this.stop('finish');
    if ('error' in answer) throw answerError(answer.error);
    return answer as { sha256: string; bytes: number };
  }

  /** Drops whatever is still queued and stops the worker; the caller then removes the file. */
  abort(): void {
    if (this.stopped) return;
    Atomics.store(this.state, ABORT, 1);
    try {
      this.stop('abort');
    } catch {
      /* aborting anyway */
    }
  }

  private stop(kind: 'finish' | 'abort'): Record<string, unknown> {
    if (this.stopped) throw new Error('export file: already finished');
    this.stopped = true;
    this.port.postMessage({ [kind]: true });
    try {
      this.waitUntil(() => Atomics.load(this.state, STOPPED) === 1, STOPPED, 0);
      const received = receiveMessageOnPort(this.port);
      return (
        (received?.message as Record<string, unknown> | undefined) ?? {
          error: { message: 'the writer thread did not answer' },
        }
      );
    } finally {
      this.port.close();
      void this.worker.terminate();
    }
  }

  private waitForRoom(incoming: number): void {
    this.releaseWritten();
    while (this.queuedBytes > 0 && this.queuedBytes + incoming > MAX_IN_FLIGHT_BYTES) {
      const done = this.chunksSeenDone;
      this.waitUntil(() => Atomics.load(this.state, CHUNKS_DONE) !== done, CHUNKS_DONE, done);
      this.releaseWritten();
      this.throwIfFailed();
    }
  }

  private releaseWritten(): void {
    const done = Atomics.load(this.state, CHUNKS_DONE);
    for (; this.chunksSeenDone < done; this.chunksSeenDone++) this.queuedBytes -= this.queued.shift() ?? 0;
  }

  private waitUntil(ready: () => boolean, slot: number, value: number): void {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (!ready()) {
      if (Date.now() > deadline)
        throw new Error(`export file: the writer thread made no progress for ${WAIT_LIMIT_MS / 1000}s`);
      Atomics.wait(this.state, slot, value, 1000);
    }
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.state, FAILED) === 0) return;
    // The worker reports the error itself at finish; stop it now and surface that error.
    const answer = this.stopped ? { error: { message: 'write failed' } } : this.stop('abort');
    throw answerError((answer.error as { message: string; code?: string }) ?? { message: 'write failed' });
  }
}

function answerError(error: unknown): Error {
  const { message, code } = error as { message: string; code?: string };
  return Object.assign(new Error(message), code ? { code } : {});
}
