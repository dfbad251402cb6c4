// Referenced files (SAE weights and configs, activation shards) are recorded by path, size and
// sha256, never copied (DESIGN.md, "referenced, never copied"). A file inside the project folder is
// stored relative to it ("demo-data/layer5/sae_weights.safetensors", always with "/"), so the
// folder can be zipped or moved together with its data and opened on another machine; a file
// elsewhere keeps its absolute path. Every reader resolves a stored path with resolveStoredPath,
// which uses an absolute path as is, so projects written before relative paths keep working.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../util/errors';

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

/** The command that repairs moved references, with this project filled in. */
export const relinkHint = (projectDir: string): string => `if it was moved, run \`sightline relink --project ${projectDir} --search FOLDER\` with the folder it is in now`;

/**
 * Cheap check before use: the referenced file exists with its recorded size. The errors name the
 * file and suggest `sightline relink`; the sha256 is checked by whoever reads the bytes.
 */
export function checkReferencedFile(projectDir: string, file: { path: string; size: number }, what: string): void {
  if (!fs.existsSync(file.path)) {
    throw new AppError('not_found', `${file.path}: ${what} is missing (it was referenced at import, not copied); ${relinkHint(projectDir)}`, {
      file: file.path,
    });
  }
  const size = fs.statSync(file.path).size;
  if (size !== file.size) {
    throw new AppError('bad_file', `${file.path}: ${what} changed since import (size ${size} bytes, recorded ${file.size}); ${relinkHint(projectDir)}`, {
      file: file.path,
      field: 'size',
      expected: file.size,
      found: size,
    });
  }
}
