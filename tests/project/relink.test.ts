// References to files outside the project stay absolute; when those files move, mining names the
// missing file and suggests `sightline relink`, and relink finds them again by base name, size and
// sha256. A same-named, same-sized file with other bytes is never taken.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { mine } from '../../src-main/mining/mine';
import { runCaptured as run, runJson } from '../helpers/cli';
import { makeProject, tempDir } from '../helpers/factories';
import { writeSyntheticCorpus } from '../mining/synthetic';

async function relinkJson(projectDir: string, search: string) {
  const { code, value } = await runJson(['relink', '--project', projectDir, '--search', search]);
  expect(code).toBe(0);
  return value as {
    relinked: number;
    missing: number;
    present: number;
    references: {
      kind: string;
      owner: string;
      file: string;
      recorded: string;
      sha256: string;
      status: string;
      path?: string;
    }[];
  };
}

/** The same files with one byte changed after each header: same names and sizes, other sha256. */
function writeDecoy(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
  for (const entry of fs.readdirSync(to, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(safetensors|json)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = fs.readFileSync(file);
    const at = bytes.length - 2; // inside the tensor data, or the JSON's last value
    bytes[at] = bytes[at] === 0x31 ? 0x32 : 0x31;
    fs.writeFileSync(file, bytes);
  }
}

const storedPaths = (project: ReturnType<typeof makeProject>) => ({
  saes: project.db.prepare('SELECT path, config_json FROM saes ORDER BY id').all(),
  shards: project.db.prepare('SELECT path FROM activation_shards ORDER BY id').pluck().all(),
});

describe('sightline relink', () => {
  it('finds moved files by name, size and sha256, refuses look-alikes, and mining works again', async () => {
    const project = makeProject();
    const outside = tempDir();
    const data = writeSyntheticCorpus(path.join(outside, 'data'));
    await importSae(project, { path: data.saeDir, name: 'sae' });
    await importDenseActivations(project, data.sidecar, 'corpus');
    // Outside the project folder: recorded absolute.
    expect(project.db.prepare('SELECT path FROM saes').pluck().get()).toBe(data.saeDir);

    const movedRoot = tempDir();
    const moved = path.join(movedRoot, 'archive', '2024', 'data');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(path.join(outside, 'data'), moved);
    // Look-alikes beside the moved folder, found first by a search of movedRoot.
    const decoy = path.join(movedRoot, 'a-decoy');
    writeDecoy(moved, path.join(decoy, 'data'));

    // Mining names the missing file and says how to fix it.
    await expect(mine(project, { sae: 'sae', corpus: 'corpus' })).rejects.toThrow(
      new RegExp(
        `${path.join(data.saeDir, 'cfg.json').replace(/[/\\.]/g, '\\$&')}: a file of SAE "sae" is missing .*sightline relink --project ${project.dir.replace(/[/\\.]/g, '\\$&')} --search FOLDER`,
      ),
    );

    // A folder holding only look-alikes (same names and sizes, other bytes): nothing is updated.
    const before = storedPaths(project);
    const refused = await relinkJson(project.dir, decoy);
    expect(refused).toMatchObject({ relinked: 0, missing: 4, present: 0 });
    expect(storedPaths(project)).toEqual(before);
    const human = await run(['relink', '--project', project.dir, '--search', decoy]);
    expect(human.out).toContain(
      `missing   SAE "sae": sae_weights.safetensors (recorded ${path.join(data.saeDir, 'sae_weights.safetensors')}, sha256 `,
    );
    expect(human.out).toContain('0 relinked, 4 still missing, 0 in place');

    // The folder holding both: every reference found and verified, recorded absolute (still outside).
    const fixed = await relinkJson(project.dir, movedRoot);
    expect(fixed).toMatchObject({ relinked: 4, missing: 0, present: 0 });
    expect(fixed.references.find((r) => r.file === 'acts-1.safetensors')).toMatchObject({
      kind: 'shard',
      owner: 'corpus',
      status: 'relinked',
      recorded: path.join(outside, 'data', 'acts-1.safetensors'),
      path: path.join(moved, 'acts-1.safetensors'),
    });
    expect(project.db.prepare('SELECT path FROM saes').pluck().get()).toBe(path.join(moved, 'sae'));
    expect(await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 })).toMatchObject({ state: 'done' });

    // A shard overwritten by another size at its recorded path, with the original saved elsewhere.
    const spare = path.join(tempDir(), 'spare');
    fs.mkdirSync(spare);
    fs.copyFileSync(path.join(moved, 'acts-0.safetensors'), path.join(spare, 'acts-0.safetensors'));
    fs.writeFileSync(path.join(moved, 'acts-0.safetensors'), 'not the shard');
    await expect(mine(project, { sae: 'sae', corpus: 'corpus' })).rejects.toThrow(
      /acts-0\.safetensors: shard 1 of corpus "corpus" changed since import \(size 13 bytes, recorded \d+\); .*sightline relink/,
    );
    expect(await relinkJson(project.dir, spare)).toMatchObject({ relinked: 1, missing: 0, present: 3 });

    // Moved into the project folder: now recorded relative to it.
    fs.renameSync(moved, path.join(project.dir, 'data'));
    fs.renameSync(path.join(spare, 'acts-0.safetensors'), path.join(project.dir, 'data', 'acts-0.safetensors'));
    expect(await relinkJson(project.dir, project.dir)).toMatchObject({ relinked: 4, missing: 0 });
    expect(storedPaths(project).shards).toEqual(['data/acts-0.safetensors', 'data/acts-1.safetensors']);
    expect(project.db.prepare('SELECT path FROM saes').pluck().get()).toBe('data/sae');
    expect(await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 })).toMatchObject({ state: 'done' });
  });

  it('prints --help, and refuses a search folder that does not exist', async () => {
    const help = await run(['relink', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: sightline relink --project DIR --search FOLDER [--json]');
    expect(help.out).toMatch(/--search\s+folder to search/);
    const project = makeProject();
    const missing = await run(['relink', '--project', project.dir, '--search', path.join(project.dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--search .*nope: expected an existing folder/);
  });
});
