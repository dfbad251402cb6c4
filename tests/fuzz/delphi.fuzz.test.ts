// Fuzzing a delphi cache import and the mine that follows (issue 11): each case mutates one split of a
// generated cache (generic byte mutations plus header lies, huge shapes, overflowing offsets, NaN/Inf
// activations, locations set to negative, 32-bit-overflowing or out-of-range integers) and imports it;
// when the import succeeds the corpus is mined too, since a bad location once hung `mine` forever.
// Every case must end in success or bad_file within 20 s; a failed import must leave the project's
// database unchanged, and no mine job may be left `running`. CI runs 100 cases per split with a fixed
// seed; SIGHTLINE_FUZZ_CASES=10000 runs more (SIGHTLINE_FUZZ_SEED picks another seed).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDelphiCache } from '../../src-main/importers/delphi-import';
import { mine } from '../../src-main/mining/mine';
import { makeProject, tempDir } from '../helpers/factories';
import { databaseFingerprint, expectEndsWell, fuzzCaseCount, fuzzSeed, mutants } from '../helpers/fuzz';
import { writeDelphiCache } from '../mining/delphi-cache';
import { DELPHI_MUTATORS } from './activation-mutators';

const CASES = fuzzCaseCount(100);

describe('delphi cache fuzzing', () => {
  for (const [split, seed] of [
    ['0_7.safetensors', 21],
    ['8_15.safetensors', 22],
  ] as const) {
    it(
      `ends every mutation of ${split} (import, then mine) in success or bad_file`,
      async () => {
        const project = makeProject();
        const dir = path.join(tempDir(), 'cache');
        writeDelphiCache(dir);
        const file = path.join(dir, split);
        const base = new Uint8Array(fs.readFileSync(file));
        let failures = 0;
        for (const mutant of mutants(base, { seed: fuzzSeed(seed), count: CASES, structured: DELPHI_MUTATORS })) {
          fs.writeFileSync(file, mutant.bytes);
          const before = databaseFingerprint(project.db);
          const name = `case ${mutant.index} (${mutant.name})`;
          const imported = await expectEndsWell(`${name}: import`, () =>
            importDelphiCache(project, dir, `c${mutant.index}`, `s${mutant.index}`),
          );
          if (!imported.ok) {
            failures++;
            expect(databaseFingerprint(project.db), `${name}: project changed`).toBe(before);
            continue;
          }
          await expectEndsWell(`${name}: mine`, () =>
            mine(project, { sae: `s${mutant.index}`, corpus: `c${mutant.index}`, top: 2 }),
          );
          expect(
            project.db.prepare("SELECT COUNT(*) FROM jobs WHERE state = 'running'").pluck().get(),
            `${name}: a job left running`,
          ).toBe(0);
        }
        expect(failures).toBeGreaterThan(0);
      },
      CASES * 400 + 30_000,
    );
  }
});
