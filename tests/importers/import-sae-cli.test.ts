// `sightline import-sae` through the CLI: it records a reference (absolute path, size, sha256 of the
// weights and of every source file), never copies the weights into the project, and a bad file exits
// non-zero with a message naming the file while leaving the project exactly as it was.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { randomSae, writeSaeLensDir } from '../engine/fixtures';
import { makeProject, tempDir } from '../helpers/factories';

afterEach(() => vi.restoreAllMocks());

function capture() {
  const io = { out: '', err: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((io.out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((io.err += String(chunk)), true));
  return io;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** What a failed import must not change: the SAE rows and the project's files other than SQLite's own. */
function snapshot(project: ReturnType<typeof makeProject>) {
  return {
    saes: project.db.prepare('SELECT * FROM saes ORDER BY id').all(),
    files: filesUnder(project.dir)
      .filter((f) => !/project\.sqlite(-wal|-shm)?$/.test(f))
      .sort(),
  };
}

describe('sightline import-sae', () => {
  it('records path, size and sha256 of the weights, and copies nothing into the project', async () => {
    const project = makeProject();
    const dir = writeSaeLensDir(path.join(tempDir(), 'my-sae'), randomSae('relu', 64, 512, 3));
    const weights = path.join(dir, 'sae_weights.safetensors');
    // The project's own files (project.sqlite and its WAL after every migration) before the import.
    const projectBytes = () => filesUnder(project.dir).reduce((n, f) => n + fs.statSync(f).size, 0);
    const bytesBefore = projectBytes();
    const io = capture();
    expect(await runCli(['import-sae', '--project', project.dir, '--path', dir, '--name', 'layer7', '--json'])).toBe(0);
    const printed = JSON.parse(io.out.trim().split('\n').pop()!);
    const size = fs.statSync(weights).size;
    expect(printed).toMatchObject({
      name: 'layer7',
      format: 'saelens',
      architecture: 'relu',
      dIn: 64,
      dSae: 512,
      path: dir,
      size,
      sha256: sha256(weights),
    });
    expect(printed.config.files).toEqual(
      expect.arrayContaining([
        { path: weights, size, sha256: sha256(weights) },
        {
          path: path.join(dir, 'cfg.json'),
          size: fs.statSync(path.join(dir, 'cfg.json')).size,
          sha256: sha256(path.join(dir, 'cfg.json')),
        },
      ]),
    );
    const row = project.db.prepare("SELECT path, size, sha256 FROM saes WHERE name = 'layer7'").get();
    expect(row).toEqual({ path: dir, size, sha256: sha256(weights) });
    // Never copied: no file in the project is as large as the weights or has their hash.
    for (const file of filesUnder(project.dir)) {
      if (fs.statSync(file).size >= size) expect(sha256(file), file).not.toBe(sha256(weights));
    }
    // and the project grew by less than the weights (the WAL's size after the migrations varies).
    expect(projectBytes() - bytesBefore).toBeLessThan(size);

    // Human output names the SAE and the hash prefix.
    expect(await runCli(['import-sae', '--project', project.dir, '--path', dir, '--name', 'again'])).toBe(0);
    expect(io.out).toMatch(/Imported SAE "again": relu saelens, d_in 64, d_sae 512, layer 7 \(sha256 [0-9a-f]{12}…\)/);
  });

  const bad: [string, (dir: string) => void, RegExp][] = [
    [
      'a truncated weights file',
      (dir) => fs.truncateSync(path.join(dir, 'sae_weights.safetensors'), 1000),
      /sae_weights\.safetensors/,
    ],
    [
      'a cfg.json that disagrees with the weights',
      (dir) => {
        const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
        fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ ...cfg, d_sae: 1024 }));
      },
      /sae_weights\.safetensors: W_enc: expected shape \[64, 1024\] \(cfg\.json says d_in 64, d_sae 1024\)/,
    ],
    ['a missing path', (dir) => fs.rmSync(dir, { recursive: true }), /./],
  ];
  for (const [name, spoil, message] of bad) {
    it(`${name}: exits non-zero naming the file and leaves the project unchanged`, async () => {
      const project = makeProject();
      const good = writeSaeLensDir(path.join(tempDir(), 'good'), randomSae('relu', 64, 512, 4));
      const broken = writeSaeLensDir(path.join(tempDir(), 'broken'), randomSae('relu', 64, 512, 5));
      const io = capture();
      expect(await runCli(['import-sae', '--project', project.dir, '--path', good, '--name', 'good'])).toBe(0);
      const before = snapshot(project);
      spoil(broken);
      const code = await runCli([
        'import-sae',
        '--project',
        project.dir,
        '--path',
        broken,
        '--name',
        'broken',
        '--json',
      ]);
      expect(code).not.toBe(0);
      expect(io.err).toMatch(message);
      const printed = JSON.parse(io.out.trim().split('\n').pop()!);
      expect(printed.ok).toBe(false);
      expect(snapshot(project)).toEqual(before);
    });
  }
});
