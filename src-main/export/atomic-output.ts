// Exports are written next to their target under a temporary name and renamed into place only
// when complete, so a failed or cancelled export never leaves half a file (or half a folder)
// where a script would pick it up.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const FLUSH_BYTES = 1 << 20;

/**
 * A buffered, hashed file that appears at `target` only on rename() (or commit()). Either this
 * process writes it (write, writeBytes), or another writer creates `temp` (the columnar engine's
 * COPY ... TO, store/columnar-engine.ts) and finish() hashes what it wrote.
 */
export class AtomicFile {
  readonly target: string;
  readonly temp: string;
  private fd: number | null = null;
  private pending: string[] = [];
  private pendingBytes = 0;
  private readonly hash = crypto.createHash('sha256');
  bytes = 0;
  private closed = false;

  constructor(target: string) {
    this.target = path.resolve(target);
    fs.mkdirSync(path.dirname(this.target), { recursive: true });
    this.temp = `${this.target}.partial-${process.pid}`;
    fs.rmSync(this.temp, { force: true });
  }

  /** Appends text; strings are joined and written in ~1 MiB chunks (one syscall per chunk, not per row). */
  write(text: string): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flushText();
  }

  /** Appends bytes (written at once; the caller may reuse them after). */
  writeBytes(bytes: Uint8Array): void {
    this.flushText();
    this.output(bytes);
  }

  private flushText(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.output(chunk);
  }

  private output(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.fd ??= fs.openSync(this.temp, 'w');
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(this.fd, bytes, offset, bytes.length - offset);
    this.hash.update(bytes);
    this.bytes += bytes.length;
  }

  /** Flushes, fsyncs and closes the temp file; returns its sha256. Call rename() (or commit()) after. */
  finish(): { sha256: string; bytes: number } {
    this.flushText();
    if (this.fd === null) {
      // Written by another writer (or empty): hash the file as it is on disk.
      this.fd = fs.openSync(this.temp, fs.existsSync(this.temp) ? 'r+' : 'w+');
      this.hashWrittenFile(this.fd);
    }
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  private hashWrittenFile(fd: number): void {
    const chunk = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) return;
      this.hash.update(chunk.subarray(0, read));
      this.bytes += read;
    }
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
    if (!this.closed && this.fd !== null) {
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
