// Stored form of referenced file paths (project/references.ts explains the rule): relative to the
// project folder when inside it, absolute otherwise. Pure path logic, so the store can resolve the
// paths it reads without depending on the project layer.
import fs from 'node:fs';
import path from 'node:path';

function realOrResolved(file: string): string {
  try {
    return fs.realpathSync.native(file);
  } catch {
    return path.resolve(file);
  }
}

/** The path to record for `file`: relative to the project folder when the file lies inside it. */
export function toStoredPath(projectDir: string, file: string): string {
  const absolute = path.resolve(file);
  // Compare real paths so a project opened through a symlink (macOS /tmp → /private/tmp) still
  // recognises its own files; fall back to the plain paths when either does not exist yet.
  for (const [dir, target] of [
    [path.resolve(projectDir), absolute],
    [realOrResolved(projectDir), realOrResolved(absolute)],
  ]) {
    if (isInside(dir, target)) return path.relative(dir, target).split(path.sep).join('/');
  }
  return absolute;
}

/** `file` lies below `folder` (not the folder itself); both absolute. */
export function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** The absolute path of a stored reference: absolute paths as they are, relative ones against the project folder. */
export function resolveStoredPath(projectDir: string, stored: string): string {
  return path.isAbsolute(stored) ? stored : path.resolve(projectDir, ...stored.split('/'));
}
