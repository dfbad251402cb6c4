// The cache/ folder's entries (cache-entry.ts): a write that fails while the manifest is being written
// leaves no partial file behind and no manifest, so the entry reads as absent and the next write starts
// clean. The failures are real ones reached through writeEntry's own inputs: manifest fields JSON cannot
// hold, and a folder standing where the manifest is renamed to.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { floatBytes, readFreshEntry, writeEntry, type EntryManifest } from '../../src-main/engine/lm/cache-entry.js';
import { tempDir } from '../engine/fixtures.js';

interface TestManifest extends EntryManifest {
  weights: { offset: number; length: number };
  note?: unknown;
}

function setUp(): { folder: string; source: string } {
  const dir = tempDir();
  const source = join(dir, 'model.safetensors');
  writeFileSync(source, 'weights');
  return { folder: join(dir, 'cache'), source };
}

const fresh = () => true;

describe('a cache entry', () => {
  it('is written, then read back while its source is unchanged', () => {
    const { folder, source } = setUp();
    const written = writeEntry<TestManifest>(folder, 'tower', [source], (append) => ({
      weights: append(floatBytes(Float32Array.from([1, 2, 3]))),
    }));
    expect(written.weights).toEqual({ offset: 0, length: 12 });
    expect(readFreshEntry<TestManifest>(folder, 'tower', [source], fresh)).toEqual(written);
    expect(readdirSync(folder).sort()).toEqual(['tower.json', 'tower.weights']);
  });

  it('leaves no partial manifest when the manifest cannot be serialised', () => {
    const { folder, source } = setUp();
    expect(() =>
      writeEntry<TestManifest>(folder, 'tower', [source], (append) => ({
        weights: append(floatBytes(Float32Array.from([1]))),
        note: 1n,
      })),
    ).toThrow(/BigInt/);
    expect(readdirSync(folder).filter((f) => f.includes('.partial'))).toEqual([]);
    expect(readFreshEntry<TestManifest>(folder, 'tower', [source], fresh)).toBeUndefined();
  });

  it('leaves no partial manifest when renaming it into place fails', () => {
    const { folder, source } = setUp();
    expect(() =>
      writeEntry<TestManifest>(folder, 'tower', [source], (append) => {
        // Something else takes the manifest's name while the data is written: a non-empty folder,
        // which no rename replaces.
        mkdirSync(join(folder, 'tower.json', 'inside'), { recursive: true });
        return { weights: append(floatBytes(Float32Array.from([1]))) };
      }),
    ).toThrow();
    expect(readdirSync(folder).filter((f) => f.includes('.partial'))).toEqual([]);
    expect(readFreshEntry<TestManifest>(folder, 'tower', [source], fresh)).toBeUndefined();
  });
});
