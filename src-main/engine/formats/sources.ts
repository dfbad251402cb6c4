import { statSync } from 'node:fs';
import type { SourceFile } from '../sae-model.js';
import { hashFiles } from './hashing.js';

export async function describeSources(paths: readonly string[], skipHash = false): Promise<SourceFile[]> {
  if (skipHash) return paths.map((path) => ({ path, size: statSync(path).size, sha256: '' }));
  return hashFiles(paths);
}
