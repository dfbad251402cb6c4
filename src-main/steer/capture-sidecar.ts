// What a capture writes beside its shards: per chunk, a record of its documents and its rows' segments
// (chunk-NNNNN.json, written before the chunk's marker), and per layer the `sightline.activations/1`
// sidecar assembled from every chunk's record. The records make a chunk self-describing: the final
// run of a sharded capture, or a resumed one, imports chunks captured by other processes without
// reading their images again.
import fs from 'node:fs';
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
