import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';
import { findMedia, insertMedia, type MediaRecord } from '../store/media';

export type MediaInfo = MediaRecord;

const SHA256_HEX = /^[0-9a-f]{64}$/;

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
  put(
    bytes: Uint8Array,
    mime: string,
    size: { width?: number; height?: number } = {},
    originalName?: string,
  ): MediaInfo {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const file = this.fileFor(sha256, mime);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, bytes);
      fs.renameSync(temp, file);
    }
    const info: MediaInfo = {
      sha256,
      mime,
      bytes: bytes.byteLength,
      width: size.width ?? null,
      height: size.height ?? null,
    };
    insertMedia(this.db, info, originalName ?? null);
    return info;
  }

  get(sha256: string): MediaInfo | undefined {
    return findMedia(this.db, sha256);
  }

  /** Absolute path of a stored file, or undefined if the hash is unknown. */
  pathOf(sha256: string): string | undefined {
    const info = this.get(sha256);
    return info ? this.fileFor(sha256, info.mime) : undefined;
  }

  /**
   * The real path of a stored file and its type, for serving; undefined unless the hash is a known
   * lower-case sha256 and the file, symlinks resolved, is a regular file inside media/. A project
   * folder can be shared or unzipped from a colleague, so a link planted in media/ must not serve
   * /etc/hostname as a PNG (issue 11).
   */
  servable(sha256: string): { file: string; mime: string } | undefined {
    const info = SHA256_HEX.test(sha256) ? this.get(sha256) : undefined;
    if (!info) return undefined;
    try {
      const file = fs.realpathSync(this.fileFor(sha256, info.mime));
      const inside = file.startsWith(fs.realpathSync(this.dir) + path.sep);
      return inside && fs.statSync(file).isFile() ? { file, mime: info.mime } : undefined;
    } catch {
      return undefined; // missing file or folder
    }
  }
}
