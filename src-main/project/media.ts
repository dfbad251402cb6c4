import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';

export interface MediaInfo {
  sha256: string;
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
}

const EXTENSION_BY_MIME: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** Content-addressed media: each file is stored once under media/<aa>/<sha256>.<ext>. */
export class MediaStore {
  constructor(
    private readonly db: Db,
    readonly dir: string,
  ) {}

  fileFor(sha256: string, mime: string): string {
    return path.join(this.dir, sha256.slice(0, 2), `${sha256}.${EXTENSION_BY_MIME[mime] ?? 'bin'}`);
  }

  /** Stores bytes (write to a temp name, then rename, so a crash never leaves half a file under its hash). */
  put(bytes: Uint8Array, mime: string, size: { width?: number; height?: number } = {}, originalName?: string): MediaInfo {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const file = this.fileFor(sha256, mime);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, bytes);
      fs.renameSync(temp, file);
    }
    const info: MediaInfo = { sha256, mime, bytes: bytes.byteLength, width: size.width ?? null, height: size.height ?? null };
    this.db
      .prepare(
        `INSERT INTO media (sha256, mime, bytes, width, height, original_name) VALUES (@sha256, @mime, @bytes, @width, @height, @originalName)
         ON CONFLICT(sha256) DO NOTHING`,
      )
      .run({ ...info, originalName: originalName ?? null });
    return info;
  }

  get(sha256: string): MediaInfo | undefined {
    return this.db.prepare('SELECT sha256, mime, bytes, width, height FROM media WHERE sha256 = ?').get(sha256) as MediaInfo | undefined;
  }

  /** Absolute path of a stored file, or undefined if the hash is unknown. */
  pathOf(sha256: string): string | undefined {
    const info = this.get(sha256);
    return info ? this.fileFor(sha256, info.mime) : undefined;
  }
}
