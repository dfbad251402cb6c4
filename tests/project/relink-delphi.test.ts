// A delphi cache imported without an SAE makes a "precomputed" SAE whose path is the cache folder and
// which has no files of its own. When the cache moves, relink finds its splits by sha256 and the SAE's
// folder follows them, but only once every split recorded inside it is found at the same place.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDelphiCache } from '../../src-main/importers/delphi-import';
import { mine } from '../../src-main/mining/mine';
import { runCaptured as run, runJson } from '../helpers/cli';
import { makeProject, tempDir } from '../helpers/factories';
import { writeDelphiCache } from '../mining/delphi-cache';

async function relinkJson(projectDir: string, search: string) {
  const { code, value } = await runJson(['relink', '--project', projectDir, '--search', search]);
  expect(code).toBe(0);
  return value as {
    relinked: number;
    missing: number;
    present: number;
    references: { kind: string; owner: string; file: string; status: string; path?: string }[];
  };
}

const saePath = (project: ReturnType<typeof makeProject>) =>
  project.db.prepare("SELECT path FROM saes WHERE name = 'cache'").pluck().get();

describe('sightline relink with a delphi cache', () => {
  it('relinks the splits and the precomputed SAE folder they sit in', async () => {
    const project = makeProject();
    const outside = tempDir();
    const cache = path.join(outside, 'cache');
    writeDelphiCache(cache);
    await importDelphiCache(project, cache, 'cache');
    expect(
      project.db.prepare("SELECT format, architecture, path, config_json FROM saes WHERE name = 'cache'").get(),
    ).toEqual({
      format: 'delphi',
      architecture: 'precomputed',
      path: cache,
      config_json: JSON.stringify({ precomputed: true, files: [] }),
    });
    // In place: the folder and both splits are present.
    expect(await relinkJson(project.dir, outside)).toMatchObject({ relinked: 0, missing: 0, present: 3 });

    const movedRoot = tempDir();
    const moved = path.join(movedRoot, 'archive', 'layer-3', 'cache');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(cache, moved);
    // Only one split can be found: it is relinked, but the folder does not move without the other.
    const held = path.join(tempDir(), '8_15.safetensors');
    fs.renameSync(path.join(moved, '8_15.safetensors'), held);
    const partial = await relinkJson(project.dir, movedRoot);
    expect(partial).toMatchObject({ relinked: 1, missing: 2, present: 0 });
    expect(partial.references.find((r) => r.kind === 'sae')).toEqual({
      kind: 'sae',
      owner: 'cache',
      file: 'cache/',
      recorded: cache,
      sha256: '',
      status: 'missing',
    });
    expect(saePath(project)).toBe(cache);
    await expect(mine(project, { sae: 'cache', corpus: 'cache' })).rejects.toThrow(
      /8_15\.safetensors: .* is missing .*sightline relink/,
    );

    // Every split found: the SAE's folder is recorded where they are now.
    fs.renameSync(held, path.join(moved, '8_15.safetensors'));
    const fixed = await relinkJson(project.dir, movedRoot);
    expect(fixed).toMatchObject({ relinked: 2, missing: 0, present: 1 });
    expect(fixed.references.find((r) => r.kind === 'sae')).toMatchObject({
      file: 'cache/',
      status: 'relinked',
      path: moved,
    });
    expect(saePath(project)).toBe(moved);
    const human = await run(['relink', '--project', project.dir, '--search', movedRoot]);
    expect(human.out).toContain('0 relinked, 0 still missing, 3 in place');
    expect(await mine(project, { sae: 'cache', corpus: 'cache', top: 2 })).toMatchObject({ state: 'done' });

    // Moved into the project folder: the folder is recorded relative to it, like the splits.
    fs.renameSync(moved, path.join(project.dir, 'cache'));
    const inside = await run(['relink', '--project', project.dir, '--search', project.dir]);
    expect(inside.out).toContain(`relinked  SAE "cache": cache/ → cache`);
    expect(saePath(project)).toBe('cache');
    expect(project.db.prepare('SELECT path FROM activation_shards ORDER BY ordinal').pluck().all()).toEqual([
      'cache/0_7.safetensors',
      'cache/8_15.safetensors',
    ]);
  });
});
