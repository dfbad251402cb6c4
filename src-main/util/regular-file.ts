// Opening files that an imported file names (images, shards, splits, sidecars) safely: only regular
// files, and at most a stated size (issue 11: a sidecar whose `image` was /dev/zero grew to 6 GB).
// The path is stat'ed before opening, so a FIFO is refused without blocking in open(); it is opened
// non-blocking and fstat'ed again, so a file swapped for something else in between is refused too,
// and the size the caller reads is the size of what it opened.
import fs from 'node:fs';
import { badFile } from './errors';

export interface FileRole {
  /** the file an error names: the imported file that points here, or this file itself */
  file: string;
  /** the field of `file` that names this path, or '(file)' */
  field: string;
  /** refuse anything larger (bytes) */
  maxBytes?: number;
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function check(stat: fs.Stats, role: FileRole, shown: string): void {
  if (!stat.isFile()) throw badFile(role.file, role.field, 'a regular file', `${shown}${kindOf(stat)}`);
  if (role.maxBytes !== undefined && stat.size > role.maxBytes) {
    throw badFile(role.file, role.field, `a file of at most ${role.maxBytes} bytes`, `${shown}${stat.size} bytes`);
  }
}

/** Opens a regular file for reading (size-capped when asked); the caller closes the fd. */
export function openRegularFile(path: string, role: FileRole): { fd: number; size: number } {
  // Errors name the path when the error is about another file (a sidecar's field), not about this one.
  const shown = role.field === '(file)' ? '' : `${path}: `;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (error) {
    throw badFile(
      role.file,
      role.field,
      'an existing file',
      `${shown}${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  check(stat, role, shown);
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const opened = fs.fstatSync(fd);
    check(opened, role, shown);
    return { fd, size: opened.size };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** Reads a whole regular file (size-capped when asked). */
export function readRegularFile(path: string, role: FileRole): Buffer {
  const { fd, size } = openRegularFile(path, role);
  try {
    const bytes = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const got = fs.readSync(fd, bytes, done, size - done, done);
      if (got === 0) break;
      done += got;
    }
    return bytes.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}
