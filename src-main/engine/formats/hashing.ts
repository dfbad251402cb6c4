import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { SourceFile } from '../sae-model.js';

/**
 * sha256 and size of a file, streamed so multi-GB weights never sit in memory twice. `onBytes` gets
 * the running count after each 4 MiB chunk, for a progress line while a 15 GB model hashes.
 */
export async function hashFile(path: string, onBytes?: (done: number) => void): Promise<SourceFile> {
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onBytes?.(done);
  }
  return { path, size: statSync(path).size, sha256: hash.digest('hex') };
}

export async function hashFiles(paths: readonly string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const p of paths) out.push(await hashFile(p));
  return out;
}
