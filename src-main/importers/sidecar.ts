// The activations sidecar (format "sightline.activations/1", documented in README, "Activations: the sidecar format"):
// documents (tokens and/or an image with its tile grids) and, per shard, the row segments that say
// what each row of the shard is. Parsed with zod; then cross-checked so that every disagreement names
// the file, the field and what was expected.
import path from 'node:path';
import { z } from 'zod';
import { badFile } from '../util/errors';
import { readRegularFile } from '../util/regular-file';

/**
 * Largest sidecar accepted (bytes). It is parsed whole, and V8 strings stop at about 512 MiB; a
 * sidecar of a million documents of 100 tokens is about 1/3 of this.
 */
export const MAX_SIDECAR_BYTES = 256 * 1024 * 1024;
/** Patch rows or columns of one tile: LLaVA-NeXT's merged anyres map is at most 48 x 96. */
export const MAX_TILE_SIDE = 4096;
/** Tiles of one document (mining numbers them in 16 bits). */
export const MAX_TILES = 65536;

const side = z.number().int().positive().max(MAX_TILE_SIDE);
const tile = z.object({ rows: side, cols: side }).strict();

const documentSchema = z
  .object({
    id: z.string().min(1),
    text: z.string().optional(),
    tokens: z.array(z.string()).optional(),
    image: z.string().min(1).optional(),
    /** tile 0 is the base image grid (LLaVA-NeXT: 24x24); further tiles are anyres crops */
    tiles: z.array(tile).max(MAX_TILES).optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const segmentSchema = z.discriminatedUnion('kind', [
  z
    .object({
      document: z.string(),
      kind: z.literal('text'),
      start: z.number().int().min(0),
      count: z.number().int().positive(),
    })
    .strict(),
  z
    .object({
      document: z.string(),
      kind: z.literal('image'),
      tile: z.number().int().min(0),
      newline: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      document: z.string(),
      kind: z.literal('special'),
      count: z.number().int().positive(),
      label: z.string().optional(),
    })
    .strict(),
]);

const shardSchema = z
  .object({
    path: z.string().min(1),
    tensor: z.string().optional(),
    segments: z.array(segmentSchema),
  })
  .strict();

export const sidecarSchema = z
  .object({
    format: z.literal('sightline.activations/1'),
    d_in: z.number().int().positive(),
    model: z.string().optional(),
    layer: z.number().int().optional(),
    hook_point: z.string().optional(),
    documents: z.array(documentSchema).min(1),
    shards: z.array(shardSchema).min(1),
  })
  .strict();

export type Sidecar = z.infer<typeof sidecarSchema>;
export type SidecarDocument = z.infer<typeof documentSchema>;
export type SidecarSegment = z.infer<typeof segmentSchema>;

export function readSidecar(file: string): Sidecar {
  const name = path.basename(file);
  const bytes = readRegularFile(file, { file: name, field: '(file)', maxBytes: MAX_SIDECAR_BYTES });
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw badFile(name, '(whole file)', 'valid JSON', (error as Error).message);
  }
  const parsed = sidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '') || '(root)';
    throw badFile(name, field, issue.message);
  }
  const sidecar = parsed.data;
  checkDocuments(name, sidecar);
  return sidecar;
}

function checkDocuments(file: string, sidecar: Sidecar): void {
  const seen = new Set<string>();
  sidecar.documents.forEach((doc, i) => {
    if (seen.has(doc.id)) throw badFile(file, `documents[${i}].id`, 'a unique document id', JSON.stringify(doc.id));
    seen.add(doc.id);
    if (!doc.tokens && !doc.image && doc.text === undefined)
      throw badFile(file, `documents[${i}]`, 'tokens, text or an image');
    if (doc.tiles && !doc.image) throw badFile(file, `documents[${i}].tiles`, 'an image for the tiles to belong to');
  });
}
