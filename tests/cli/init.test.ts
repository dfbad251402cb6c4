// `sightline init`: an empty project that the importers accept, and refusals that leave the folder
// as it was.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { randomSae, writeSaeLensDir } from '../engine/fixtures';
import { tempDir } from '../helpers/factories';

afterEach(() => vi.restoreAllMocks());

function capture() {
  const io = { out: '', err: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((io.out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((io.err += String(chunk)), true));
  return io;
}

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

describe('sightline init', () => {
  it('creates a migrated, empty project that import-sae accepts', async () => {
    const dir = path.join(tempDir(), 'study.sightline');
    const io = capture();
    expect(await runCli(['init', '--project', dir, '--json'])).toBe(0);
    expect(lastJson(io.out)).toEqual({ project: dir });
    const migrations = fs
      .readdirSync(path.join(__dirname, '../../migrations'))
      .filter((f) => /^\d{4}_.*\.sql$/.test(f));
    const db = new Database(path.join(dir, 'project.sqlite'), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
      expect(db.prepare('SELECT COUNT(*) FROM saes').pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    const sae = writeSaeLensDir(path.join(tempDir(), 'sae'), randomSae('relu', 16, 64, 5));
    expect(await runCli(['import-sae', '--project', dir, '--path', sae, '--name', 'l3', '--json'])).toBe(0);
    expect(lastJson(io.out)).toMatchObject({ name: 'l3', dIn: 16, dSae: 64 });
  });

  it('refuses an existing project and a folder with files, changing nothing', async () => {
    const dir = path.join(tempDir(), 'study.sightline');
    capture();
    expect(await runCli(['init', '--project', dir])).toBe(0);
    const before = fs.statSync(path.join(dir, 'project.sqlite')).mtimeMs;
    const io = capture();
    expect(await runCli(['init', '--project', dir, '--json'])).not.toBe(0);
    expect(lastJson(io.out)).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(lastJson(io.out).error.message).toContain('already a Sightline project');
    expect(fs.statSync(path.join(dir, 'project.sqlite')).mtimeMs).toBe(before);

    const busy = tempDir();
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    expect(await runCli(['init', '--project', busy, '--json'])).not.toBe(0);
    expect(lastJson(io.out).error.message).toMatch(/expected a new or empty folder/);
    expect(fs.readdirSync(busy)).toEqual(['notes.txt']);
  });

  it('is what the "not a project" error points to', async () => {
    const io = capture();
    expect(await runCli(['features', '--project', tempDir(), '--sae', 'x', '--json'])).not.toBe(0);
    expect(lastJson(io.out).error.message).toContain('sightline init --project DIR');
  });
});
