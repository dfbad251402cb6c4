// Runs mutants of an SAE weights file through `import-sae` (importSae, the function the CLI calls)
// into a real project, and checks the issue-11 promise for each case: it ends in success or bad_file
// within 20 s; a failure leaves the project exactly as it was; a success reads back exactly the
// weights of the unmutated file (a lying file must never load different numbers silently).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { loadSae } from '../../src-main/engine/formats/detect';
import type { SaeWeights } from '../../src-main/engine/sae-model';
import { importSae, loadOptionsOf } from '../../src-main/importers/sae-import';
import { getSaeByName } from '../../src-main/store/saes';
import { makeProject, tempDir } from '../helpers/factories';
import { databaseFingerprint, expectEndsWell, mutants, type Mutator } from '../helpers/fuzz';

export interface FuzzBase {
  label: string;
  bytes: Uint8Array;
  /** mutations that know this base's layout (header lies, pickle lies) */
  structured: Record<string, Mutator>;
}

const WEIGHT_FIELDS = ['W_enc', 'b_enc', 'W_dec', 'b_dec', 'threshold'] as const;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The project's own files apart from SQLite's, with sizes: a failed import must add or change none. */
function projectFiles(dir: string): string[] {
  return filesUnder(dir)
    .filter((f) => !/project\.sqlite(-wal|-shm|-journal)?$/.test(f))
    .map((f) => `${path.relative(dir, f)}:${fs.statSync(f).size}`)
    .sort();
}

function expectSameWeights(label: string, loaded: SaeWeights, original: SaeWeights): void {
  expect({ arch: loaded.architecture, dIn: loaded.dIn, dSae: loaded.dSae }, label).toEqual({
    arch: original.architecture,
    dIn: original.dIn,
    dSae: original.dSae,
  });
  for (const field of WEIGHT_FIELDS) {
    const a = loaded[field];
    const b = original[field];
    expect(a === undefined, `${label}: ${field} present`).toBe(b === undefined);
    // Bit for bit: the same numbers, not merely close ones.
    if (a && b)
      expect(
        Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
        `${label}: ${field} differs from the original`,
      ).toBe(true);
  }
}

export async function fuzzSaeImport(options: {
  extension: string;
  bases: FuzzBase[];
  count: number;
  seed: number;
}): Promise<{ ok: number; failed: number }> {
  const project = makeProject();
  const dir = tempDir('sightline-fuzz-');
  const tally = { ok: 0, failed: 0 };
  const perBase = Math.ceil(options.count / options.bases.length);
  for (const [b, base] of options.bases.entries()) {
    const originalPath = path.join(dir, `original-${b}${options.extension}`);
    fs.writeFileSync(originalPath, base.bytes);
    const original = await loadSae(originalPath);
    for (const mutant of mutants(base.bytes, { seed: options.seed + b, count: perBase, structured: base.structured })) {
      const label = `${base.label} case ${mutant.index} (seed ${options.seed + b}): ${mutant.name}`;
      const file = path.join(dir, `case-${b}-${mutant.index}${options.extension}`);
      fs.writeFileSync(file, mutant.bytes);
      const name = `case-${b}-${mutant.index}`;
      const fingerprint = databaseFingerprint(project.db);
      const files = projectFiles(project.dir);
      const outcome = await expectEndsWell(label, () => importSae(project, { path: file, name }));
      if (outcome.ok) {
        tally.ok++;
        const record = getSaeByName(project, name);
        expectSameWeights(label, await loadSae(record.path, loadOptionsOf(record)), original);
      } else {
        tally.failed++;
        expect(databaseFingerprint(project.db), `${label}: the project changed after ${outcome.message}`).toBe(
          fingerprint,
        );
        expect(projectFiles(project.dir), `${label}: files changed after a failure`).toEqual(files);
        fs.rmSync(file);
      }
    }
  }
  return tally;
}
