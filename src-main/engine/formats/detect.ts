// Which reader a path needs. A directory is told apart by its weights file name; a file by its
// extension (torch zips checked by their zip signature, since .pkl may also be a bare pickle).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AppError, badFile } from '../../util/errors.js';
import { SAE_FORMATS, type SaeFormat, type SaeWeights } from '../sae-model.js';
import { loadGemmaScopeNpz } from './npz.js';
import type { LoadSaeOptions } from './options.js';
import { loadSaeLens, SAELENS_CFG, SAELENS_WEIGHTS } from './saelens.js';
import { loadSparsify, SPARSIFY_WEIGHTS } from './sparsify.js';
import { loadTorchSae } from './torch.js';

function isZip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === 0x04034b50;
  } finally {
    closeSync(fd);
  }
}

export function detectSaeFormat(path: string, override?: string): SaeFormat {
  if (override !== undefined) {
    if (!(SAE_FORMATS as readonly string[]).includes(override)) {
      throw new AppError('invalid_input', `--format ${override}: expected one of ${SAE_FORMATS.join(', ')}`);
    }
    return override as SaeFormat;
  }
  if (!existsSync(path)) throw new AppError('not_found', `${path}: no such file or directory`);
  const name = basename(path);
  if (statSync(path).isDirectory()) {
    const hasCfg = existsSync(join(path, SAELENS_CFG));
    if (hasCfg && existsSync(join(path, SAELENS_WEIGHTS))) return 'saelens';
    if (hasCfg && existsSync(join(path, SPARSIFY_WEIGHTS))) return 'sparsify';
    if (existsSync(join(path, 'params.npz'))) return 'gemmascope';
    throw badFile(
      name,
      '(directory)',
      `cfg.json with ${SAELENS_WEIGHTS} (SAELens) or ${SPARSIFY_WEIGHTS} (sparsify), or params.npz (Gemma Scope)`,
    );
  }
  if (/\.npz$/i.test(name)) return 'gemmascope';
  if (/\.(pt|pth|pkl)$/i.test(name)) {
    if (isZip(path)) return 'torch';
    throw badFile(name, '(container)', 'a torch.save zip checkpoint (legacy non-zip pickles are not supported)');
  }
  throw badFile(name, '(extension)', 'a directory, .npz, .pt, .pth or .pkl');
}

/** Detect (or take `options.format`) and load into the normalised SaeWeights. */
export async function loadSae(path: string, options: LoadSaeOptions = {}): Promise<SaeWeights> {
  const format = detectSaeFormat(path, options.format);
  switch (format) {
    case 'saelens':
      return loadSaeLens(path, options);
    case 'sparsify':
      return loadSparsify(path, options);
    case 'torch':
      return loadTorchSae(path, options);
    case 'gemmascope':
      return loadGemmaScopeNpz(statSync(path).isDirectory() ? join(path, 'params.npz') : path, options);
  }
}
