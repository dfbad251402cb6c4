// The CLI's exit codes, from a real child process (issue 11): a malformed file exits 1 with a
// message naming the file and field and no stack trace; invalid input exits 2; a crash (a bug, code
// internal) exits 70 with its stack trace, whether thrown inside a command or outside its promise.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { paperTorchSaeBytes, randomSae } from '../engine/fixtures';
import { CENTRAL, withInt, zipRecord } from '../engine/zip-edit';
import { makeProject, tempDir } from '../helpers/factories';

function runChild(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'exit-child.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const io = { out: '', err: '' };
    child.stdout.on('data', (chunk) => (io.out += String(chunk)));
    child.stderr.on('data', (chunk) => (io.err += String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...io }));
  });
}

describe('sightline exit codes', () => {
  it('a lying .pt exits 1 naming the file and field, without a stack trace; the project keeps no SAE', {
    timeout: 60_000,
  }, async () => {
    const project = makeProject();
    const base = paperTorchSaeBytes(randomSae('relu', 8, 16));
    const file = path.join(tempDir(), 'lying.pt');
    fs.writeFileSync(file, withInt(base, zipRecord(base, 'archive/data/1').central + CENTRAL.localHeaderOffset, 4, 0));
    const run = await runChild(['import-sae', '--project', project.dir, '--path', file]);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      "sightline import-sae: lying.pt: archive/data/1: local header name: expected archive/data/1 (the central directory's), found archive/data.pkl",
    );
    expect(run.err).not.toMatch(/\n\s+at /);
    expect(project.db.prepare('SELECT COUNT(*) FROM saes').pluck().get()).toBe(0);
  });

  it('invalid input exits 2', { timeout: 60_000 }, async () => {
    const run = await runChild([
      'import-sae',
      '--project',
      makeProject().dir,
      '--path',
      'x.pt',
      '--input-scale',
      'lots',
    ]);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--input-scale: expected a number, got "lots"');
  });

  it('a crash inside a command exits 70 with its stack trace, and --json reports code internal', {
    timeout: 60_000,
  }, async () => {
    const human = await runChild(['test-crash']);
    expect(human.code).toBe(70);
    expect(human.err).toMatch(
      /^sightline test-crash: Cannot read properties of undefined \(reading 'field'\)\nTypeError: .*\n\s+at /,
    );
    const json = await runChild(['test-crash', '--json']);
    expect(json.code).toBe(70);
    expect(JSON.parse(json.out.trim())).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it("an error thrown outside the command promise exits 70 too, not Node's default 1", {
    timeout: 60_000,
  }, async () => {
    const run = await runChild(['test-stray-crash']);
    expect(run.code).toBe(70);
    expect(run.err).toMatch(
      /sightline: internal error \(a bug; please report it with this trace\): RangeError: thrown outside the command\n\s+at /,
    );
  });
});
