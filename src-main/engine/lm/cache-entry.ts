// One entry of the project's cache/ folder: a data file of page-aligned tensors that a graph reads as
// ONNX external data, and a JSON manifest saying where each tensor is. Shared by the decoder's
// rewritten weights (weight-cache.ts) and LLaVA-NeXT's vision tower (vision/tower-cache.ts), so both
// get the same crash safety: the old manifest goes first, the data is written to a per-writer partial
// file and renamed in, and the new manifest is written last, so an interrupted write leaves nothing
// that reads as usable.
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

// Page-aligned tensors let ORT map them straight from the file.
const ALIGN = 4096;

export interface Slice {
  offset: number;
  length: number;
}

/** What every manifest holds besides its own fields. */
export interface EntryManifest {
  /** the data file's name, in the same folder */
  dataFile: string;
  bytes: number;
  /** the source files as they were when the entry was written */
  source: SourceStamp[];
}

export interface SourceStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

export const floatBytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function sourceStamps(paths: readonly string[]): SourceStamp[] {
  return paths.map((path) => {
    const st = statSync(path);
    return { path, size: st.size, mtimeMs: st.mtimeMs };
  });
}

export function sameSource(a: readonly SourceStamp[] | undefined, b: readonly SourceStamp[]): boolean {
  return (
    Array.isArray(a) &&
    a.length === b.length &&
    a.every((f, i) => f.path === b[i].path && f.size === b[i].size && f.mtimeMs === b[i].mtimeMs)
  );
}

/**
 * The manifest of entry `name` when it parses, `fresh` accepts it, it was written from these source
 * files as they are now, and its data file has the size it says; otherwise undefined.
 */
export function readFreshEntry<M extends EntryManifest>(
  folder: string,
  name: string,
  source: readonly string[],
  fresh: (manifest: M) => boolean,
): M | undefined {
  const manifestPath = join(folder, `${name}.json`);
  if (!existsSync(manifestPath)) return undefined;
  let manifest: M;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as M;
  } catch {
    return undefined;
  }
  const dataPath = join(folder, `${name}.weights`);
  const ok =
    manifest.dataFile === `${name}.weights` &&
    fresh(manifest) &&
    sameSource(manifest.source, sourceStamps(source)) &&
    existsSync(dataPath) &&
    statSync(dataPath).size === manifest.bytes;
  return ok ? manifest : undefined;
}

/**
 * Write entry `name`: `fill` appends tensors (each page-aligned; it gets their slices) and returns the
 * manifest's own fields. Two processes filling the same entry at once (sweep shards on one machine)
 * each rename a whole file into place; the contents are the same either way.
 */
export function writeEntry<M extends EntryManifest>(
  folder: string,
  name: string,
  source: readonly string[],
  fill: (append: (bytes: Uint8Array) => Slice) => Omit<M, keyof EntryManifest>,
): M {
  mkdirSync(folder, { recursive: true });
  const manifestPath = join(folder, `${name}.json`);
  const dataFile = `${name}.weights`;
  const dataPath = join(folder, dataFile);
  // Until the new manifest is renamed in, the entry reads as absent.
  rmSync(manifestPath, { force: true });
  const partial = `${dataPath}.${process.pid}-${randomUUID().slice(0, 8)}.partial`;
  const fd = openSync(partial, 'w');
  let at = 0;
  const append = (bytes: Uint8Array): Slice => {
    const offset = Math.ceil(at / ALIGN) * ALIGN;
    writeSync(fd, bytes, 0, bytes.byteLength, offset);
    at = offset + bytes.byteLength;
    return { offset, length: bytes.byteLength };
  };
  let own: Omit<M, keyof EntryManifest>;
  try {
    own = fill(append);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(partial, dataPath);
  const manifest = { ...own, source: sourceStamps(source), dataFile, bytes: at } as M;
  const manifestPartial = `${partial}.json`;
  try {
    const mfd = openSync(manifestPartial, 'w');
    try {
      writeSync(mfd, JSON.stringify(manifest));
      fsyncSync(mfd);
    } finally {
      closeSync(mfd);
    }
    renameSync(manifestPartial, manifestPath);
  } catch (error) {
    // Nothing half-written stays: without its manifest the entry reads as absent and is written again.
    rmSync(manifestPartial, { force: true });
    throw error;
  }
  return manifest;
}
