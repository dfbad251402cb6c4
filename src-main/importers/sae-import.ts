// `import-sae`: detect and load an SAE (which validates shapes and finite weights), then record a
// REFERENCE to its files (path, size, sha256) in `saes`. Weights are never copied into the project;
// before every later use the files are checked against the recorded size and sha256. Paths inside
// the project folder are stored relative to it (project/references.ts); records read back resolved.
import path from 'node:path';
import type { Project } from '../project/project';
import { loadSae } from '../engine/formats/detect';
import type { LoadSaeOptions } from '../engine/formats/options';
import type { SaeFormat, SourceFile } from '../engine/sae-model';
import { AppError } from '../util/errors';
import type { ImportProgress } from './import-progress';
import { checkReferencedFile, toStoredPath } from '../project/references';
import { getSaeByName, insertSae, saeExists, type SaeConfig, type SaeRecord } from '../store/saes';

export interface ImportSaeOptions {
  path: string;
  name?: string;
  format?: string;
  inputScale?: number;
  layer?: number;
  /** Told before each step (load and check, record); may throw to cancel. */
  progress?: ImportProgress;
}

export async function importSae(project: Project, options: ImportSaeOptions): Promise<SaeRecord> {
  const absolute = path.resolve(options.path);
  const name = options.name ?? path.basename(absolute).replace(/\.(pt|pth|pkl|npz)$/i, '');
  if (saeExists(project.db, name)) {
    throw new AppError('conflict', `an SAE named "${name}" is already in this project; pass --name to choose another`);
  }
  if (options.inputScale !== undefined && !(options.inputScale > 0 && Number.isFinite(options.inputScale))) {
    throw new AppError('invalid_input', `--input-scale: expected a positive number, got ${options.inputScale}`);
  }
  const loadOptions: LoadSaeOptions = {};
  if (options.format !== undefined) loadOptions.format = options.format as SaeFormat;
  if (options.inputScale !== undefined) loadOptions.inputScale = options.inputScale;
  // Loading validates everything (headers, shapes against the config, NaN/Inf) before any write.
  options.progress?.(0, 2, `loading and checking ${path.basename(absolute)}`);
  const w = await loadSae(absolute, loadOptions);
  options.progress?.(1, 2, `recording SAE ${name}`);
  const files = w.source.files.map((file) => ({ ...file, path: toStoredPath(project.dir, file.path) }));
  const config: SaeConfig = {
    normalizeActivations: w.normalizeActivations,
    applyBDecToInput: w.applyBDecToInput,
    files,
  };
  if (w.k !== undefined) config.k = w.k;
  if (w.inputScale !== undefined) config.inputScale = w.inputScale;
  if (w.rescaleActsByDecoderNorm) config.rescaleActsByDecoderNorm = true;
  // The weights file is the largest source file; the row's size/sha256 name it, config_json all of them.
  const main = [...w.source.files].sort((a, b) => b.size - a.size)[0];
  const layer = options.layer ?? w.layer ?? null;
  const id = insertSae(project.db, {
    name,
    format: w.source.format,
    architecture: w.architecture,
    layer,
    hookPoint: w.hookPoint ?? null,
    dIn: w.dIn,
    dSae: w.dSae,
    path: toStoredPath(project.dir, absolute),
    size: main.size,
    sha256: main.sha256,
    config,
  });
  return getSaeByName(project, name, id);
}

/** Cheap check before loading: every referenced file still exists with its recorded size. */
export function checkSaeFilesPresent(project: Project, sae: SaeRecord): void {
  for (const file of sae.config.files) checkReferencedFile(project.dir, file, `a file of SAE "${sae.name}"`);
}

/** After loading: the hashes the engine computed must equal the recorded ones. */
export function checkSaeHashes(sae: SaeRecord, loaded: readonly SourceFile[]): void {
  for (const file of sae.config.files) {
    const now = loaded.find((f) => path.resolve(f.path) === path.resolve(file.path));
    if (!now) throw changedError(sae, file, 'the file is no longer part of the SAE');
    if (now.size !== file.size) throw changedError(sae, file, `size ${now.size} bytes, recorded ${file.size}`);
    if (file.sha256 && now.sha256 !== file.sha256)
      throw changedError(sae, file, `sha256 ${now.sha256.slice(0, 12)}…, recorded ${file.sha256.slice(0, 12)}…`);
  }
}

function changedError(sae: SaeRecord, file: SourceFile, what: string): AppError {
  return new AppError(
    'bad_file',
    `${path.basename(file.path)}: SAE "${sae.name}" changed since it was imported (${what}); refusing to use it. Re-import it under a new name if the change is intended.`,
    { file: file.path, field: 'sha256', expected: file.sha256, found: what },
  );
}

/** Options to reload the same SAE in the engine. */
export function loadOptionsOf(sae: SaeRecord): LoadSaeOptions {
  const o: LoadSaeOptions = { format: sae.format as SaeFormat };
  if (sae.config.inputScale !== undefined) o.inputScale = sae.config.inputScale;
  return o;
}
