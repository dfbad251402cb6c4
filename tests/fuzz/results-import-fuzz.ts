// The run loop the results-file fuzz tests share (MTurk CSV, JSONL): each mutant of each base file is
// imported into a project; a success moves the fingerprint on, a failure must be bad_file naming the
// file and leave the project's fingerprint as it was.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Db } from '../../src-main/store/db';
import { makeProject, tempDir } from '../helpers/factories';
import { databaseFingerprint, expectEndsWell, type Mutator, mutants } from '../helpers/fuzz';

export interface ResultsFuzzRun {
  bases: Record<string, Uint8Array>;
  seed: number;
  /** total cases, split evenly over the bases */
  count: number;
  extension: string;
  structured: Record<string, Mutator>;
  importFile(db: Db, campaignName: string, file: string): unknown;
}

/** Runs every case and returns how they ended. */
export async function fuzzResultsImport(run: ResultsFuzzRun): Promise<{ ok: number; bad_file: number }> {
  // A fresh project every 50 cases: the fingerprint reads the whole database, which successes grow.
  let project = makeProject();
  const dir = tempDir();
  const perBase = Math.ceil(run.count / Object.keys(run.bases).length);
  const outcomes = { ok: 0, bad_file: 0 };
  let fingerprint = databaseFingerprint(project.db);
  for (const [baseName, base] of Object.entries(run.bases)) {
    for (const mutant of mutants(base, {
      seed: run.seed + baseName.length,
      count: perBase,
      structured: run.structured,
    })) {
      if (mutant.index % 50 === 49) {
        project = makeProject();
        fingerprint = databaseFingerprint(project.db);
      }
      const label = `${baseName} case ${mutant.index} (seed ${run.seed}): ${mutant.name}`;
      const file = path.join(dir, `${baseName}-${mutant.index}${run.extension}`);
      fs.writeFileSync(file, mutant.bytes);
      const outcome = await expectEndsWell(label, () =>
        run.importFile(project.db, `${baseName} ${mutant.index}`, file),
      );
      if (outcome.ok) {
        outcomes.ok++;
        fingerprint = databaseFingerprint(project.db);
      } else {
        outcomes.bad_file++;
        expect(outcome.message, label).toContain(file);
        expect(databaseFingerprint(project.db), `${label}: the failed import changed the project`).toBe(fingerprint);
      }
      fs.rmSync(file);
    }
  }
  return outcomes;
}
