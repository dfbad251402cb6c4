// AtomicFile on real files, in both of its uses: written by this process (the MTurk, Label Studio
// and Neuronpedia exports, the manifests) or created at its temp path by another writer (the
// columnar engine's COPY ... TO, for JSONL, CSV and Parquet). The committed file must hold exactly
// what was written, the returned sha256 must be the file's, and abort() must leave neither the
// temp file nor the target behind (and keep a previous export as it was).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicFile } from '../../src-main/export/atomic-output';
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

/** Writes `chunks` chunks through both entry points (bytes and text); returns what the file should hold. */
function writeMixed(file: AtomicFile, chunks: number, size: number): Buffer {
  const expected: Buffer[] = [];
  for (let index = 0; index < chunks; index++) {
    if (index % 2 === 0) {
      // A view into a larger buffer stays the caller's: changing it afterwards must not matter.
      const bytes = chunk(index, size);
      expected.push(Buffer.from(bytes));
      const backing = Buffer.alloc(bytes.length + 16);
      bytes.copy(backing, 8);
      file.writeBytes(backing.subarray(8, 8 + bytes.length));
      backing.fill(0);
    } else {
      const text = `line ${index}: ${'é'.repeat(size / 4)}\n`;
      file.write(text);
      expected.push(Buffer.from(text, 'utf8'));
    }
  }
  return Buffer.concat(expected);
}

describe('AtomicFile', () => {
  it('commits what this process wrote, byte for byte, with its sha256, and nothing is at the target before', () => {
    const target = path.join(tempDir(), 'written.bin');
    const file = new AtomicFile(target);
    const expected = writeMixed(file, 24, MiB / 4);
    expect(fs.existsSync(target)).toBe(false);
    const done = file.commit();
    const written = fs.readFileSync(target);
    expect(written.equals(expected)).toBe(true);
    expect(done).toEqual({ sha256: sha256(written), bytes: expected.length });
    expect(fs.existsSync(file.temp)).toBe(false);
  });

  it('hashes and commits a file another writer created at its temp path', () => {
    const target = path.join(tempDir(), 'engine.bin');
    const file = new AtomicFile(target);
    // Larger than the hashing buffer (4 MiB), with a tail that does not fill it.
    const expected = Buffer.concat([chunk(1, 5 * MiB), chunk(2, 12344)]);
    fs.writeFileSync(file.temp, expected);
    const done = file.commit();
    expect(done).toEqual({ sha256: sha256(expected), bytes: expected.length });
    expect(fs.readFileSync(target).equals(expected)).toBe(true);
  });

  it('commits an empty file when nothing was written', () => {
    const target = path.join(tempDir(), 'empty.bin');
    const done = new AtomicFile(target).commit();
    expect(done).toEqual({ sha256: sha256(new Uint8Array(0)), bytes: 0 });
    expect(fs.readFileSync(target).length).toBe(0);
  });

  it('abort() mid-way leaves no temp file and no target, from either writer', () => {
    const dir = tempDir();
    const ours = new AtomicFile(path.join(dir, 'cancelled.bin'));
    writeMixed(ours, 8, MiB / 2);
    expect(fs.existsSync(ours.temp)).toBe(true);
    ours.abort();
    const engines = new AtomicFile(path.join(dir, 'cancelled-engine.bin'));
    fs.writeFileSync(engines.temp, chunk(3, MiB));
    engines.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('abort() keeps a previous file at the target as it was', () => {
    const dir = tempDir();
    const target = path.join(dir, 'kept.bin');
    fs.writeFileSync(target, 'the previous export\n');
    const file = new AtomicFile(target);
    writeMixed(file, 6, MiB / 2);
    file.abort();
    expect(fs.readFileSync(target, 'utf8')).toBe('the previous export\n');
    expect(fs.readdirSync(dir)).toEqual(['kept.bin']);
  });

  it('finish() then abort() removes the finished temp file (a failure after the data was written)', () => {
    const dir = tempDir();
    const file = new AtomicFile(path.join(dir, 'late.bin'));
    writeMixed(file, 6, MiB / 2);
    const done = file.finish();
    expect(done.sha256).toBe(sha256(fs.readFileSync(file.temp)));
    file.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
