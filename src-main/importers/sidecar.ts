// The activations sidecar (format "sightline.activations/1", documented in README, "Activations: the sidecar format"):
// documents (tokens and/or an image with its tile grids) and, per shard, the row segments that say
// what each row of the shard is. Parsed with zod; then cross-checked so that every disagreement names
// the file, the field and what was expected.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { badFile } from '../util/errors';

const tile = z.object({ rows: z.number().int().positive(), cols: z.number().int().positive() }).strict();

const documentSchema = z
  .object({
    id: z.string().min(1),
    text: z.string().optional(),
    tokens: z.array(z.string()).optional(),
    image: z.string().min(1).optional(),
    /** tile 0 is the base image grid (LLaVA-NeXT: 24x24); further tiles are anyres crops */
    tiles: z.array(tile).optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const segmentSchema = z.discriminatedUnion('kind', [
  z.object({ document: z.string(), kind: z.literal('text'), start: z.number().int().min(0), count: z.number().int().positive() }).strict(),
  z.object({ document: z.string(), kind: z.literal('image'), tile: z.number().int().min(0), newline: z.boolean().default(false) }).strict(),
  z.object({ document: z.string(), kind: z.literal('special'), count: z.number().int().positive(), label: z.string().optional() }).strict(),
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
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw badFile(name, '(whole file)', 'valid JSON', (error as Error).message);
  }
  const parsed = sidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
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
    if (!doc.tokens && !doc.image && doc.text === undefined) throw badFile(file, `documents[${i}]`, 'tokens, text or an image');
    if (doc.tiles && !doc.image) throw badFile(file, `documents[${i}].tiles`, 'an image for the tiles to belong to');
  });
}

/** Rows a segment covers, validated against its document; `where` names the segment in errors. */
export function checkSegment(file: string, where: string, s: SidecarSegment, doc: SidecarDocument | undefined): number {
  if (!doc) throw badFile(file, `${where}.document`, 'the id of a document in "documents"', JSON.stringify(s.document));
  if (s.kind === 'text') {
    const n = doc.tokens?.length ?? 0;
    if (s.start + s.count > n) {
      throw badFile(file, `${where}.start`, `token positions within document "${doc.id}" (${n} tokens)`, `${s.start}..${s.start + s.count - 1}`);
    }
    return s.count;
  }
  if (s.kind === 'special') return s.count;
  const grid = doc.tiles?.[s.tile];
  if (!grid) throw badFile(file, `${where}.tile`, `a tile index below ${doc.tiles?.length ?? 0} (the tiles of document "${doc.id}")`, `${s.tile}`);
  return grid.rows * (grid.cols + (s.newline ? 1 : 0));
}
