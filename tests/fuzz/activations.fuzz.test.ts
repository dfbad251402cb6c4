// Fuzzing `import-activations` with a sidecar (issue 11): a small corpus of a text and an image
// document over a safetensors shard and a .npy shard; each case mutates one of the sidecar, the
// safetensors shard or the .npy shard (generic byte mutations plus header lies, huge shapes,
// overflowing offsets, NaN/Inf values, overlapping and moved segments, device and folder paths) and
// imports it. Every case must end in success or bad_file, within 20 s, and a failure must leave the
// project's database and media folder as they were. CI runs 120 cases per file with a fixed seed;
// SIGHTLINE_FUZZ_CASES=10000 runs more (SIGHTLINE_FUZZ_SEED picks another seed).
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { npyBytes, safetensorsBytes } from '../engine/fixtures';
import { makeProject, tempDir } from '../helpers/factories';
import { databaseFingerprint, expectEndsWell, fuzzCaseCount, fuzzSeed, mutants, type Mutator } from '../helpers/fuzz';
import { NPY_MUTATORS, SAFETENSORS_MUTATORS, SIDECAR_MUTATORS } from './activation-mutators';

const D = 8;

function writeBase(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const image = new PNG({ width: 4, height: 4 });
  image.data.fill(90);
  fs.writeFileSync(path.join(dir, 'doc-1.png'), PNG.sync.write(image));
  const values = (rows: number, seed: number) => Float32Array.from({ length: rows * D }, (_, i) => Math.sin(seed + i));
  // shard 0: doc-0's 3 tokens after a special row, then doc-1's 2x2 tile with newlines (6 rows) and 1 token
  fs.writeFileSync(
    path.join(dir, 'acts-0.safetensors'),
    safetensorsBytes([{ name: 'activations', shape: [11, D], data: values(11, 1) }]),
  );
  fs.writeFileSync(path.join(dir, 'acts-1.npy'), npyBytes(values(2, 2), [2, D]));
  const sidecar = {
    format: 'sightline.activations/1',
    d_in: D,
    documents: [
      { id: 'doc-0', tokens: ['a', ' red', ' fish'] },
      { id: 'doc-1', tokens: ['this'], image: 'doc-1.png', tiles: [{ rows: 2, cols: 2 }] },
      { id: 'doc-2', tokens: ['x', 'y'] },
    ],
    shards: [
      {
        path: 'acts-0.safetensors',
        segments: [
          { document: 'doc-0', kind: 'special', count: 1 },
          { document: 'doc-0', kind: 'text', start: 0, count: 3 },
          { document: 'doc-1', kind: 'image', tile: 0, newline: true },
          { document: 'doc-1', kind: 'text', start: 0, count: 1 },
        ],
      },
      { path: 'acts-1.npy', segments: [{ document: 'doc-2', kind: 'text', start: 0, count: 2 }] },
    ],
  };
  fs.writeFileSync(path.join(dir, 'activations.json'), JSON.stringify(sidecar));
}

const CASES = fuzzCaseCount(120);
const mediaFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).sort() : []);

const TARGETS: [string, string, Record<string, Mutator>, number][] = [
  ['the sidecar', 'activations.json', SIDECAR_MUTATORS, 11],
  ['the safetensors shard', 'acts-0.safetensors', SAFETENSORS_MUTATORS, 12],
  ['the .npy shard', 'acts-1.npy', NPY_MUTATORS, 13],
];

describe('import-activations fuzzing', () => {
  for (const [label, target, structured, seed] of TARGETS) {
    it(
      `ends every mutation of ${label} in success or bad_file, leaving nothing behind on failure`,
      async () => {
        const project = makeProject();
        const dir = path.join(tempDir(), 'data');
        writeBase(dir);
        const file = path.join(dir, target);
        const base = new Uint8Array(fs.readFileSync(file));
        // The unmutated corpus imports: the cases start from a valid input.
        await importDenseActivations(project, path.join(dir, 'activations.json'), 'base');
        let failures = 0;
        for (const mutant of mutants(base, { seed: fuzzSeed(seed), count: CASES, structured })) {
          fs.writeFileSync(file, mutant.bytes);
          const before = databaseFingerprint(project.db);
          const media = mediaFiles(project.media.dir);
          const name = `case ${mutant.index} (${mutant.name})`;
          const outcome = await expectEndsWell(name, () =>
            importDenseActivations(project, path.join(dir, 'activations.json'), `c${mutant.index}`),
          );
          if (!outcome.ok) {
            failures++;
            expect(databaseFingerprint(project.db), `${name}: project changed`).toBe(before);
            expect(mediaFiles(project.media.dir), `${name}: media changed`).toEqual(media);
          }
        }
        // Mutations mostly break the input: a run where none failed did not exercise the importer.
        expect(failures).toBeGreaterThan(0);
      },
      CASES * 250 + 30_000,
    );
  }
});
