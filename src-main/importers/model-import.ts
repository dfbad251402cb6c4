// `import-model`: check a Hugging Face folder (config.json, every decoder tensor's presence and shape,
// the tokenizer and chat template) and then record a REFERENCE to its files in `models`: each file's
// path, size, sha256 and mtime, and one model sha256 over them all. Weights are never copied. Hashing
// a 15 GB model takes minutes, so it reports progress and is done once: later uses compare sizes and
// modification times, and re-hash only a file whose mtime moved.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hashFile } from '../engine/formats/hashing';
import type { LmConfig } from '../engine/lm/config';
import { openLmFolder } from '../engine/lm/folder';
import { loadLmTokenizer } from '../engine/lm/tokenizer';
import type { ModelSummary } from '../contract/models';
import type { Project } from '../project/project';
import { checkReferencedFile, resolveStoredPath, toStoredPath } from '../project/references';
import { findModelByName, insertModel, listModels, modelIdByName, type ModelRow } from '../store/models';
import { AppError } from '../util/errors';
import { checkVisionFolder } from '../engine/vision/weights';

/** The files besides the weights that decide what the model computes or how prompts are tokenised. */
const SIDE_FILES = [
  'config.json',
  'model.safetensors.index.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'chat_template.jinja',
  // the processor's chat template (llava-hf checkpoints), which --chat uses before the tokenizer's
  'chat_template.json',
  'generation_config.json',
  // LLaVA-NeXT's image processor settings (transformers 4 wrote the first, 5 the second)
  'preprocessor_config.json',
  'processor_config.json',
];

export interface ModelFile {
  path: string;
  size: number;
  sha256: string;
  mtimeMs: number;
}

/** What config_json holds. */
export interface ModelConfigJson {
  config: LmConfig;
  /** dtype the weights are stored in */
  dtype: string;
  hasChatTemplate: boolean;
  /** every referenced file, weights first; paths as stored */
  files: ModelFile[];
}

/** The contract's summary (declared once there) plus what the engine needs: files with mtimes, the config. */
export interface ModelRecord extends Omit<ModelSummary, 'files'> {
  /** paths absolute */
  files: ModelFile[];
  config: LmConfig;
}

export interface HashProgress {
  /** the model's name in the project */
  name: string;
  file: string;
  bytes: number;
  totalBytes: number;
}

export async function importModel(
  project: Project,
  options: { path: string; name?: string },
  onProgress?: (p: HashProgress) => void,
): Promise<ModelRecord> {
  const folder = path.resolve(options.path);
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new AppError(
      'not_found',
      `${folder}: expected a Hugging Face model folder (config.json, model.safetensors, tokenizer.json)`,
    );
  }
  const name = options.name ?? path.basename(folder);
  if (name.trim() === '') throw new AppError('invalid_input', '--name: expected a non-empty name');
  if (modelIdByName(project.db, name) !== undefined)
    throw new AppError('conflict', `a model named "${name}" is already in this project; pass --name to choose another`);
  // Everything is checked before anything is hashed or written: the reader refuses bad configs and
  // missing or misshapen tensors by name, the tokenizer a bad tokenizer.json or chat template.
  const opened = openLmFolder(folder);
  // LLaVA-NeXT: the vision tower, projector and image_newline too (headers only), and their files
  const vision =
    opened.config.architecture === 'LlavaNextForConditionalGeneration' ? checkVisionFolder(folder).files : [];
  const tokenizer = loadLmTokenizer(folder);
  const paths = [
    ...new Set([...opened.files.map((f) => f.path), ...vision]),
    ...SIDE_FILES.map((f) => path.join(folder, f)).filter((p) => fs.existsSync(p)),
  ];
  const totalBytes = paths.reduce((sum, p) => sum + fs.statSync(p).size, 0);
  const files: ModelFile[] = [];
  let before = 0;
  for (const p of paths) {
    const hashed = await hashFile(p, (bytes) =>
      onProgress?.({ name, file: path.basename(p), bytes: before + bytes, totalBytes }),
    );
    before += hashed.size;
    files.push({ ...hashed, mtimeMs: fs.statSync(p).mtimeMs });
  }
  const stored: ModelConfigJson = {
    config: opened.config,
    dtype: opened.dtype,
    hasChatTemplate: tokenizer.hasChatTemplate,
    files: files.map((f) => ({ ...f, path: toStoredPath(project.dir, f.path) })),
  };
  const id = insertModel(project.db, {
    name,
    path: toStoredPath(project.dir, folder),
    size: totalBytes,
    sha256: modelSha256(files),
    configJson: JSON.stringify(stored),
    createdAt: Date.now(),
  });
  return recordOf(project, { ...findModelByName(project.db, name)!, id });
}

/** One hash for the model: sha256 over "name<TAB>sha256" lines of its files, sorted by name. */
export function modelSha256(files: readonly { path: string; sha256: string }[]): string {
  const lines = files.map((f) => `${path.basename(f.path)}\t${f.sha256}\n`).sort();
  return createHash('sha256').update(lines.join('')).digest('hex');
}

export function getModelByName(project: Project, name: string): ModelRecord {
  const row = findModelByName(project.db, name);
  if (!row) return missing(project, name);
  return recordOf(project, row);
}

export function listModelRecords(project: Project): ModelRecord[] {
  return listModels(project.db).map((row) => recordOf(project, row));
}

/**
 * Before a model is used: every file exists with its recorded size, and a file whose mtime moved
 * still has its recorded sha256 (re-hashed only then, so a 15 GB model is not re-read each time).
 */
export async function checkModelFiles(project: Project, model: ModelRecord): Promise<void> {
  for (const file of model.files) {
    checkReferencedFile(project.dir, file, `a file of model "${model.name}"`);
    if (fs.statSync(file.path).mtimeMs === file.mtimeMs) continue;
    const now = await hashFile(file.path);
    if (now.sha256 !== file.sha256) {
      throw new AppError(
        'bad_file',
        `${path.basename(file.path)}: model "${model.name}" changed since it was imported (sha256 ${now.sha256.slice(0, 12)}…, recorded ${file.sha256.slice(0, 12)}…); refusing to use it. Import it again under a new name if the change is intended.`,
        { file: file.path, field: 'sha256', expected: file.sha256, found: now.sha256 },
      );
    }
  }
}

function recordOf(project: Project, row: ModelRow): ModelRecord {
  const stored = JSON.parse(row.configJson) as ModelConfigJson;
  return {
    id: row.id,
    name: row.name,
    path: resolveStoredPath(project.dir, row.path),
    size: row.size,
    sha256: row.sha256,
    architecture: stored.config.architecture,
    dModel: stored.config.dModel,
    nLayers: stored.config.nLayers,
    vocabSize: stored.config.vocabSize,
    dtype: stored.dtype,
    hasChatTemplate: stored.hasChatTemplate,
    files: stored.files.map((f) => ({ ...f, path: resolveStoredPath(project.dir, f.path) })),
    config: stored.config,
  };
}

function missing(project: Project, name: string): never {
  const known =
    listModels(project.db)
      .map((m) => m.name)
      .join(', ') || 'none';
  throw new AppError(
    'not_found',
    `no model named "${name}" in this project (known: ${known}); import one with \`sightline import-model\``,
  );
}
