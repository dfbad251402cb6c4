import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { SourceFile } from '../sae-model.js';

/** sha256 and size of a file, streamed so multi-GB weights never sit in memory twice. */
export async function hashFile(path: string): Promise<SourceFile> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return { path, size: statSync(path).size, sha256: hash.digest('hex') };
}

export async function hashFiles(paths: readonly string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const p of paths) out.push(await hashFile(p));
  return out;
}
