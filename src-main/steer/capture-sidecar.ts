// What a capture writes beside its shards: per chunk, a record of its documents and its rows' segments
// (chunk-NNNNN.json, written before the chunk's marker), and per layer the `sightline.activations/1`
// sidecar assembled from every chunk's record. The records make a chunk self-describing: the final
// run of a sharded capture, or a resumed one, imports chunks captured by other processes without
// reading their images again.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DocumentLayout } from './capture-layout';
import type { CapturedImageLayout } from './capture-images';
import { writeFileAtomic } from '../util/write-atomic';

/** A captured document: its id, label, and the layout its rows follow (an image document's with its image). */
export interface CaptureEntry {
  id: string;
  label?: string;
  layout: DocumentLayout | CapturedImageLayout;
  /** image documents: the image file (copied into the project's media/ by the importer) */
  image?: string;
}

export interface ChunkRecord {
  /** rows of the chunk's shard in every layer */
  rows: number;
  /** the sidecar's document entries */
  documents: Record<string, unknown>[];
  /** the sidecar's segments for the chunk's shard */
  segments: Record<string, unknown>[];
}

const isImageLayout = (layout: CaptureEntry['layout']): layout is CapturedImageLayout => 'tiles' in layout;

export function chunkRecordOf(entries: readonly CaptureEntry[]): ChunkRecord {
  return {
    rows: entries.reduce((n, e) => n + e.layout.ids.length, 0),
    documents: entries.map(({ id, label, layout, image }) => {
      const meta = {
        ...(label !== undefined ? { label } : {}),
        // [width, height] and [rows, cols], as scripts/convert-llava-next.ts names them
        ...(isImageLayout(layout) ? { image_size: layout.imageSize, anyres_grid: layout.grid } : {}),
      };
      return {
        id,
        tokens: layout.tokens,
        ...(image !== undefined && isImageLayout(layout) ? { image, tiles: layout.tiles } : {}),
        ...(Object.keys(meta).length > 0 ? { meta } : {}),
      };
    }),
    segments: entries.flatMap(({ id, layout }) => layout.segments.map((segment) => ({ document: id, ...segment }))),
  };
}

const pad = (n: number) => String(n).padStart(5, '0');
export const shardFileName = (chunk: number) => `acts-${pad(chunk)}.safetensors`;
export const chunkMarker = (folder: string, chunk: number) => path.join(folder, `chunk-${pad(chunk)}.done`);
const chunkRecordPath = (folder: string, chunk: number) => path.join(folder, `chunk-${pad(chunk)}.json`);

export function writeChunkRecord(folder: string, chunk: number, record: ChunkRecord): void {
  writeFileAtomic(chunkRecordPath(folder, chunk), `${JSON.stringify(record)}\n`);
}

/** A finished chunk's record; one captured before records were written is computed again by `fallback`. */
export function readChunkRecord(folder: string, chunk: number, fallback: () => ChunkRecord): ChunkRecord {
  const file = chunkRecordPath(folder, chunk);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ChunkRecord) : fallback();
}

/** The sidecar of one layer: every chunk's documents, and per chunk its shard with the rows' segments. */
export function sidecarOf(layer: number, dModel: number, modelName: string, records: readonly ChunkRecord[]): unknown {
  return {
    format: 'sightline.activations/1',
    d_in: dModel,
    model: modelName,
    layer,
    hook_point: `hidden_states[${layer}] (residual stream entering block ${layer})`,
    documents: records.flatMap((r) => r.documents),
    shards: records.map((r, c) => ({ path: shardFileName(c), tensor: 'activations', segments: r.segments })),
  };
}

/** A writer's partial files carry its host and pid: `<shard>.<host>-<pid>-<random>.partial`. */
const PARTIAL = /^(.+)\.([^.]*)-(\d+)-[0-9a-f]{8}\.partial$/;
const host = () => os.hostname().replace(/[^A-Za-z0-9_]/g, '_');

/**
 * One chunk's shard files (one per layer) being written, each under a name of this writer's own: two
 * runs of one capture at once (the importing run started while a shard task still writes, or one
 * command started twice) each write whole files and rename them into place, never into each other's
 * (the contents are the same either way). `abandon` (cancel, error) removes this writer's files only.
 */
export function openChunkWriters(files: readonly string[]): { fds: number[]; finish(): void; abandon(): void } {
  const tag = `${host()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const partials = files.map((file) => `${file}.${tag}.partial`);
  const fds = partials.map((partial) => fs.openSync(partial, 'w'));
  const close = () => fds.forEach((fd) => fs.closeSync(fd));
  return {
    fds,
    finish: () => {
      close();
      partials.forEach((partial, i) => fs.renameSync(partial, files[i]));
    },
    abandon: () => {
      close();
      for (const partial of partials) fs.rmSync(partial, { force: true });
    },
  };
}

/** Partial files in `folder` left by a writer on this machine that is no longer running (killed mid-chunk). */
export function removeDeadPartials(folder: string): void {
  for (const name of fs.existsSync(folder) ? fs.readdirSync(folder) : []) {
    const match = PARTIAL.exec(name);
    if (!match || match[2] !== host() || processAlive(Number(match[3]))) continue;
    fs.rmSync(path.join(folder, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
