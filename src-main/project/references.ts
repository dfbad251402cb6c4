// Referenced files (SAE weights and configs, activation shards) are recorded by path, size and
// sha256, never copied (DESIGN.md, "referenced, never copied"). A file inside the project folder is
// stored relative to it ("demo-data/layer5/sae_weights.safetensors", always with "/"), so the
// folder can be zipped or moved together with its data and opened on another machine; a file
// elsewhere keeps its absolute path. Every reader resolves a stored path with resolveStoredPath,
// which uses an absolute path as is, so projects written before relative paths keep working.
import fs from 'node:fs';
import type { CorpusRecord } from '../store/corpora';
import type { Project } from './project';
import { AppError } from '../util/errors';

// The path rules live in util so the store can use them; re-exported for the callers that know them here.
export { isInside, resolveStoredPath, toStoredPath } from '../util/stored-paths';

/** The command that repairs moved references, with this project filled in. */
export const relinkHint = (projectDir: string): string =>
  `if it was moved, run \`sightline relink --project ${projectDir} --search FOLDER\` with the folder it is in now`;

/**
 * Cheap check before use: the referenced file exists with its recorded size. The errors name the
 * file and suggest `sightline relink`; the sha256 is checked by whoever reads the bytes.
 */
export function checkReferencedFile(projectDir: string, file: { path: string; size: number }, what: string): void {
  if (!fs.existsSync(file.path)) {
    throw new AppError(
      'not_found',
      `${file.path}: ${what} is missing (it was referenced at import, not copied); ${relinkHint(projectDir)}`,
      {
        file: file.path,
      },
    );
  }
  const size = fs.statSync(file.path).size;
  if (size !== file.size) {
    throw new AppError(
      'bad_file',
      `${file.path}: ${what} changed since import (size ${size} bytes, recorded ${file.size}); ${relinkHint(projectDir)}`,
      {
        file: file.path,
        field: 'size',
        expected: file.size,
        found: size,
      },
    );
  }
}

/** Cheap check before mining: every shard still exists with its recorded size. */
export function checkCorpusFilesPresent(project: Project, corpus: CorpusRecord): void {
  for (const shard of corpus.shards)
    checkReferencedFile(project.dir, shard, `shard ${shard.ordinal + 1} of corpus "${corpus.name}"`);
}
