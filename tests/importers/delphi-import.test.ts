// A delphi cache that lies (issue 11): locations outside the tokens' shape or the split's latents,
// non-finite activations, overlapping or reversed splits. Import refuses each with bad_file naming the
// split and the location, and leaves the project unchanged; a cache changed on disk after import makes
// `mine` fail with the reason instead of hanging with its job left `running`.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDelphiCache } from '../../src-main/importers/delphi-import';
import { mine } from '../../src-main/mining/mine';
import { databaseFingerprint } from '../helpers/fuzz';
import { makeProject, tempDir } from '../helpers/factories';
import { SEQUENCES, writeDelphiCache } from '../mining/delphi-cache';

/** A cache whose first split (I64 locations, F32 activations) has its location 3 edited. */
function badCache(edit: (loc: number[], act: number[]) => void): string {
  const dir = path.join(tempDir(), 'cache');
  writeDelphiCache(dir, { tamper: (start, loc, act) => start === 0 && edit(loc, act) });
  return dir;
}

describe('import a delphi cache that lies', () => {
  const cases: [string, (loc: number[], act: number[]) => void, RegExp][] = [
    [
      'a negative sequence',
      (loc) => (loc[9] = -1),
      /0_7\.safetensors: locations\[3\]: expected sequence 0\.\.5, position 0\.\.9, latent 0\.\.7 .*found \(-1, \d+, \d+\)/,
    ],
    ['a negative position', (loc) => (loc[10] = -2), /0_7\.safetensors: locations\[3\]: .*found \(\d+, -2, \d+\)/],
    ['a negative latent', (loc) => (loc[11] = -1), /0_7\.safetensors: locations\[3\]: .*found \(\d+, \d+, -1\)/],
    ['a latent past the split', (loc) => (loc[11] = 8), /0_7\.safetensors: locations\[3\]: .*found \(\d+, \d+, 8\)/],
    ['a sequence past the tokens', (loc) => (loc[9] = SEQUENCES), /locations\[3\]: .*found \(6, \d+, \d+\)/],
    ['a value beyond 32 bits', (loc) => (loc[9] = 2 ** 40), /locations\[3\]: .*found \(1099511627776, \d+, \d+\)/],
    [
      'a NaN activation',
      (_loc, act) => (act[3] = NaN),
      /0_7\.safetensors: activations\[3\]: expected a finite number, found NaN/,
    ],
    [
      'an infinite activation',
      (_loc, act) => (act[3] = Infinity),
      /activations\[3\]: expected a finite number, found Infinity/,
    ],
  ];
  for (const [name, edit, message] of cases) {
    it(`refuses ${name}`, async () => {
      const project = makeProject();
      const before = databaseFingerprint(project.db);
      await expect(importDelphiCache(project, badCache(edit), 'cache', 'sae')).rejects.toMatchObject({
        code: 'bad_file',
        message: expect.stringMatching(message),
      });
      expect(databaseFingerprint(project.db)).toBe(before);
    });
  }

  it('refuses splits whose latent ranges overlap or run backwards', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    writeDelphiCache(dir);
    fs.copyFileSync(path.join(dir, '8_15.safetensors'), path.join(dir, '4_11.safetensors'));
    await expect(importDelphiCache(project, dir, 'cache')).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(
        /4_11\.safetensors: \(file name\): expected latents starting after 7 \(0_7\.safetensors ends there\)/,
      ),
    });
    fs.rmSync(path.join(dir, '4_11.safetensors'));
    fs.renameSync(path.join(dir, '8_15.safetensors'), path.join(dir, '15_8.safetensors'));
    await expect(importDelphiCache(project, dir, 'cache')).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/15_8\.safetensors: \(file name\): expected start <= end/),
    });
    expect(project.db.prepare('SELECT COUNT(*) FROM corpora').pluck().get()).toBe(0);
  });

  it('refuses a split that is not a regular file', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    writeDelphiCache(dir);
    fs.mkdirSync(path.join(dir, '16_23.safetensors'));
    await expect(importDelphiCache(project, dir, 'cache')).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/16_23\.safetensors: \(file\): expected a regular file, found a directory/),
    });
  });

  // A sparse file takes no disk, so a split can honestly hold a tokens tensor of any size: reading it
  // whole failed with a RangeError past 4 GiB (an internal error) and would exhaust memory below.
  it('refuses a tokens tensor too large to read, without reading it', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    fs.mkdirSync(dir);
    const [sequences, seqLen] = [4, 2 ** 28];
    const header: Record<string, unknown> = {
      locations: { dtype: 'I32', shape: [1, 3], data_offsets: [0, 12] },
      activations: { dtype: 'F32', shape: [1], data_offsets: [12, 16] },
      tokens: { dtype: 'I64', shape: [sequences, seqLen], data_offsets: [16, 16 + sequences * seqLen * 8] },
    };
    let json = JSON.stringify(header);
    while (json.length % 8 !== 0) json += ' ';
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const location = Buffer.from(new Int32Array([0, 0, 0]).buffer);
    const activation = Buffer.from(new Float32Array([1]).buffer);
    const file = path.join(dir, '0_7.safetensors');
    fs.writeFileSync(file, Buffer.concat([length, Buffer.from(json), location, activation]));
    fs.truncateSync(file, 8 + json.length + 16 + sequences * seqLen * 8);
    const before = databaseFingerprint(project.db);
    await expect(importDelphiCache(project, dir, 'cache')).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/0_7\.safetensors: tokens: expected .*at most \d+ tokens.*found \[4, 268435456\]/),
    });
    expect(databaseFingerprint(project.db)).toBe(before);
  });
});

describe('mine a delphi cache changed after import', () => {
  it('ends the job failed with the reason, not running forever', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    writeDelphiCache(dir);
    await importDelphiCache(project, dir, 'cache', 'sae');
    // Same size, so the cheap presence check before mining passes: only the latent of one location changed.
    const bad = badCache((loc) => (loc[11] = -1));
    expect(fs.statSync(path.join(bad, '0_7.safetensors')).size).toBe(
      fs.statSync(path.join(dir, '0_7.safetensors')).size,
    );
    fs.copyFileSync(path.join(bad, '0_7.safetensors'), path.join(dir, '0_7.safetensors'));
    await expect(mine(project, { sae: 'sae', corpus: 'cache', top: 3 })).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/0_7\.safetensors: locations\[3\]/),
    });
    const job = project.db.prepare("SELECT state, error FROM jobs WHERE kind = 'mine'").get() as {
      state: string;
      error: string;
    };
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/locations\[3\]/);
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(0);
  });
});
