// AtomicFile with its worker-thread writer (background-writer.ts), on real files: past 4 MiB the
// bytes move to a worker that writes, hashes and fsyncs them; the committed file must hold
// exactly what was written, the returned sha256 must be the file's, and abort() must leave
// neither the temp file nor the target behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AtomicFile } from '../../src-main/export/atomic-output';
import { BackgroundWriter } from '../../src-main/export/background-writer';
import { tempDir } from '../helpers/factories';

const MiB = 1 << 20;
const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Deterministic bytes that differ chunk to chunk, so a dropped, repeated or reordered chunk shows. */
function chunk(index: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = (index + 1) * 2654435761;
  for (let i = 0; i < size; i += 4) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes.writeUInt32LE(state, i);
  }
  return bytes;
}

/**
 * Writes `chunks` chunks of `size` bytes through every entry point (owned bytes, copied bytes and
 * text) and returns what the file should hold.
 */
function writeMixed(file: AtomicFile, chunks: number, size: number): Buffer {
  const expected: Buffer[] = [];
  for (let index = 0; index < chunks; index++) {
    const bytes = chunk(index, size);
    expected.push(Buffer.from(bytes));
    if (index % 3 === 0) {
      // Owned: a whole ArrayBuffer moves to the worker; the caller must not rely on it afterwards.
      const owned = new Uint8Array(bytes.length);
      owned.set(bytes);
      file.writeBytes(owned, true);
    } else if (index % 3 === 1) {
      // Copied: a view into a larger buffer stays the caller's, and changing it later must not matter.
      const backing = Buffer.alloc(bytes.length + 16);
      bytes.copy(backing, 8);
      file.writeBytes(backing.subarray(8, 8 + bytes.length));
      backing.fill(0);
    } else {
      const text = `line ${index}: ${'é'.repeat(size / 4)}\n`;
      file.write(text);
      expected[expected.length - 1] = Buffer.from(text, 'utf8');
    }
  }
  return Buffer.concat(expected);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('AtomicFile with the background writer', () => {
  it('commits a file past the threshold on the worker thread, byte for byte, with its sha256', () => {
    const workerWrites = vi.spyOn(BackgroundWriter.prototype, 'write');
    const target = path.join(tempDir(), 'big.bin');
    const file = new AtomicFile(target);
    // 40 MiB: past the 4 MiB threshold and past the 32 MiB the writer lets be in flight.
    const expected = writeMixed(file, 160, MiB / 4);
    const done = file.commit();
    expect(workerWrites).toHaveBeenCalled();
    const written = fs.readFileSync(target);
    expect(written.length).toBe(expected.length);
    expect(written.equals(expected)).toBe(true);
    expect(done.bytes).toBe(expected.length);
    expect(done.sha256).toBe(sha256(written));
    expect(fs.existsSync(file.temp)).toBe(false);
  });

  it('abort() mid-way leaves no temp file and no target', () => {
    const dir = tempDir();
    const target = path.join(dir, 'cancelled.bin');
    const file = new AtomicFile(target);
    const workerWrites = vi.spyOn(BackgroundWriter.prototype, 'write');
    writeMixed(file, 40, MiB / 2);
    expect(workerWrites).toHaveBeenCalled(); // the worker was running when the export stopped
    expect(fs.existsSync(file.temp)).toBe(true);
    file.abort();
    expect(fs.existsSync(file.temp)).toBe(false);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('abort() keeps a previous file at the target as it was', () => {
    const dir = tempDir();
    const target = path.join(dir, 'kept.bin');
    fs.writeFileSync(target, 'the previous export\n');
    const file = new AtomicFile(target);
    writeMixed(file, 24, MiB / 2);
    file.abort();
    expect(fs.readFileSync(target, 'utf8')).toBe('the previous export\n');
    expect(fs.readdirSync(dir)).toEqual(['kept.bin']);
  });

  it('writes files below the threshold without a worker, byte for byte, with their sha256', () => {
    const workerWrites = vi.spyOn(BackgroundWriter.prototype, 'write');
    const target = path.join(tempDir(), 'small.bin');
    const file = new AtomicFile(target);
    const expected = writeMixed(file, 9, 64 * 1024);
    expect(fs.existsSync(target)).toBe(false); // nothing at the target before commit
    const done = file.commit();
    expect(workerWrites).not.toHaveBeenCalled();
    const written = fs.readFileSync(target);
    expect(written.equals(expected)).toBe(true);
    expect(done).toEqual({ sha256: sha256(written), bytes: expected.length });
  });

  it('finish() then abort() removes the finished temp file (a failure after the data was written)', () => {
    const dir = tempDir();
    const file = new AtomicFile(path.join(dir, 'late.bin'));
    writeMixed(file, 24, MiB / 2);
    const done = file.finish();
    expect(done.sha256).toBe(sha256(fs.readFileSync(file.temp)));
    file.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
