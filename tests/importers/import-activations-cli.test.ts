// `sightline import-activations` with a path that does not exist: a message naming the option and the
// path, exit 1 (a documented error), not a crash (exit 70) from the folder-or-file check.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCaptured } from '../helpers/cli';
import { makeProject, tempDir } from '../helpers/factories';

describe('sightline import-activations', () => {
  it('names a missing --path instead of crashing', async () => {
    const project = makeProject();
    const missing = path.join(tempDir(), 'no-such-sidecar.json');
    const { code, err } = await runCaptured(['import-activations', '--project', project.dir, '--path', missing]);
    expect(code).toBe(1);
    expect(err).toContain(`--path: ${missing}: no such file or folder`);
    expect(err).not.toMatch(/ENOENT|at .*\.ts:/);
  });
});
