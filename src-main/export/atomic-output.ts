// Exports are written next to their target under a temporary name and renamed into place only
// when complete, so a failed or cancelled export never leaves half a file (or half a folder)
// where a script would pick it up.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BackgroundWriter, copyBytes } from './background-writer';

const FLUSH_BYTES = 1 << 20;
/**
 * A file that grows past this is written, hashed and fsynced on a worker thread
 * (background-writer.ts); smaller ones (manifests, small exports) never start one. Bytes are held
 * until then, so the hash is computed in one place.
 */
const BACKGROUND_FROM_BYTES = 4 << 20;

/** A buffered, hashed file that appears at `target` only on commit(). */
export class AtomicFile {
  readonly target: string;
  readonly temp: string;
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private background: BackgroundWriter | null = null;
  bytes = 0;
  private closed = false;

  constructor(target: string) {
    this.target = path.resolve(target);
    fs.mkdirSync(path.dirname(this.target), { recursive: true });
    this.temp = `${this.target}.partial-${process.pid}`;
    this.fd = fs.openSync(this.temp, 'w');
  }

  /** Appends text; strings are joined and written in ~1 MiB chunks (one syscall per chunk, not per row). */
  write(text: string): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flushText();
  }

  /**
   * Appends bytes. With `owned` the caller hands `bytes` over and must not touch them again (a
   * Buffer SQLite returned moves to the writer thread without a copy); otherwise they are copied.
   */
  writeBytes(bytes: Uint8Array, owned = false): void {
    this.flushText();
    this.output(bytes, owned);
  }

  private flushText(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.output(chunk, true);
  }

  private output(bytes: Uint8Array, owned: boolean): void {
    if (bytes.length === 0) return;
    this.bytes += bytes.length;
    if (this.background) {
      this.background.write(bytes, owned);
      return;
    }
    this.held.push(owned ? bytes : copyBytes(bytes));
    this.heldBytes += bytes.length;
    if (this.heldBytes < BACKGROUND_FROM_BYTES) return;
    this.background = new BackgroundWriter(this.fd);
    for (const chunk of this.held) this.background.write(chunk, true);
    this.held = [];
    this.heldBytes = 0;
  }

  /** Flushes, fsyncs and closes the temp file; returns its sha256. Call rename() (or commit()) after. */
  finish(): { sha256: string; bytes: number } {
    this.flushText();
    let done: { sha256: string; bytes: number };
    if (this.background) {
      done = this.background.finish();
    } else {
      const hash = crypto.createHash('sha256');
      for (const chunk of this.held) {
        let offset = 0;
        while (offset < chunk.length) offset += fs.writeSync(this.fd, chunk, offset, chunk.length - offset);
        hash.update(chunk);
      }
      this.held = [];
      fs.fsyncSync(this.fd);
      done = { sha256: hash.digest('hex'), bytes: this.bytes };
    }
    fs.closeSync(this.fd);
    this.closed = true;
    return done;
  }

  rename(): void {
    fs.renameSync(this.temp, this.target);
  }

  commit(): { sha256: string; bytes: number } {
    const done = this.finish();
    this.rename();
    return done;
  }

  /** Removes the temp file; safe to call at any point, including after finish(). */
  abort(): void {
    this.background?.abort();
    this.held = [];
    if (!this.closed) {
      this.closed = true;
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    fs.rmSync(this.temp, { force: true });
  }
}

/** A folder built under a temporary name and swapped into place on commit(). */
export class AtomicDir {
  readonly target: string;
  readonly temp: string;

  constructor(target: string) {
    this.target = path.resolve(target);
    fs.mkdirSync(path.dirname(this.target), { recursive: true });
    this.temp = `${this.target}.partial-${process.pid}`;
    fs.rmSync(this.temp, { recursive: true, force: true });
    fs.mkdirSync(this.temp, { recursive: true });
  }

  /** Path of a file inside the temporary folder. */
  file(relative: string): string {
    const full = path.join(this.temp, relative);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    return full;
  }

  /** Replaces any previous export at the target: old folder moved aside, new one renamed in, old removed. */
  commit(): void {
    const previous = `${this.target}.previous-${process.pid}`;
    const hadPrevious = fs.existsSync(this.target);
    if (hadPrevious) fs.renameSync(this.target, previous);
    fs.renameSync(this.temp, this.target);
    if (hadPrevious) fs.rmSync(previous, { recursive: true, force: true });
  }

  abort(): void {
    fs.rmSync(this.temp, { recursive: true, force: true });
  }
}
