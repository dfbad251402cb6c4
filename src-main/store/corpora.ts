// Inserts for corpora, documents and activation shard references, and reading them back for mining.
// Shard paths inside the project folder are stored relative to it and read back resolved
// (util/stored-paths.ts), so a moved or zipped project still finds its shards.
import { AppError } from '../util/errors';
import { resolveStoredPath, toStoredPath } from '../util/stored-paths';
import type { Db, ProjectConnection } from './db';

/** The stored form of an activation shard's row segments (mining/layout.ts expands them). */
export type StoredSegment =
  /** text tokens start..start+count-1 of the document's tokens, one row each */
  | { doc: number; kind: 'text'; start: number; count: number }
  /** one image tile row-major; with `newline`, one extra (excluded) row after each patch row */
  | { doc: number; kind: 'image'; tile: number; rows: number; cols: number; newline: boolean }
  /** rows that belong to the document but are not content (image-newline, BOS, separators) */
  | { doc: number; kind: 'special'; count: number };

export interface ShardRecord {
  id: number;
  ordinal: number;
  kind: 'dense' | 'delphi';
  container: string;
  /** absolute when read back with getCorpus; any path when inserted (stored relative if inside the project) */
  path: string;
  size: number;
  sha256: string;
  dtype: string;
  shape: number[];
  dataOffset: number;
  rows: number;
  layout: { segments?: StoredSegment[]; [key: string]: unknown };
}

export interface CorpusRecord {
  id: number;
  name: string;
  source: Record<string, unknown>;
  shards: ShardRecord[];
}

export function insertCorpus(db: Db, name: string, description: string, source: unknown): number {
  if (corpusExists(db, name)) {
    throw new AppError(
      'conflict',
      `a corpus named "${name}" is already in this project; pass --corpus to choose another name`,
    );
  }
  return Number(
    db
      .prepare('INSERT INTO corpora (name, description, source_json, created_at) VALUES (?, ?, ?, ?)')
      .run(name, description, JSON.stringify(source), Date.now()).lastInsertRowid,
  );
}

export interface NewDocument {
  externalId: string;
  kind: 'text' | 'image' | 'multimodal';
  text: string | null;
  tokens: string[] | null;
  mediaSha256: string | null;
  meta: unknown;
}

export function insertDocument(db: Db, corpusId: number, d: NewDocument): number {
  return Number(
    db
      .prepare(
        'INSERT INTO documents (corpus_id, external_id, kind, text, tokens_json, media_sha256, meta_json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        corpusId,
        d.externalId,
        d.kind,
        d.text,
        d.tokens ? JSON.stringify(d.tokens) : null,
        d.mediaSha256,
        JSON.stringify(d.meta ?? {}),
      ).lastInsertRowid,
  );
}

export function insertShard(project: ProjectConnection, corpusId: number, s: Omit<ShardRecord, 'id'>): number {
  return Number(
    project.db
      .prepare(
        `INSERT INTO activation_shards (corpus_id, ordinal, kind, container, path, size, sha256, dtype, shape_json, data_offset, rows, layout_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        corpusId,
        s.ordinal,
        s.kind,
        s.container,
        toStoredPath(project.dir, s.path),
        s.size,
        s.sha256,
        s.dtype,
        JSON.stringify(s.shape),
        s.dataOffset,
        s.rows,
        JSON.stringify(s.layout),
      ).lastInsertRowid,
  );
}

export function getCorpus(project: ProjectConnection, name: string): CorpusRecord {
  const { db } = project;
  const row = db.prepare('SELECT id, name, source_json FROM corpora WHERE name = ?').get(name) as
    | { id: number; name: string; source_json: string }
    | undefined;
  if (!row) {
    const known = (db.prepare('SELECT name FROM corpora ORDER BY id').pluck().all() as string[]).join(', ') || 'none';
    throw new AppError(
      'not_found',
      `no corpus named "${name}" in this project (known: ${known}); import one with \`sightline import-activations\``,
    );
  }
  const shards = (
    db.prepare('SELECT * FROM activation_shards WHERE corpus_id = ? ORDER BY ordinal').all(row.id) as {
      id: number;
      ordinal: number;
      kind: 'dense' | 'delphi';
      container: string;
      path: string;
      size: number;
      sha256: string;
      dtype: string;
      shape_json: string;
      data_offset: number;
      rows: number;
      layout_json: string;
    }[]
  ).map((s) => ({
    id: s.id,
    ordinal: s.ordinal,
    kind: s.kind,
    container: s.container,
    path: resolveStoredPath(project.dir, s.path),
    size: s.size,
    sha256: s.sha256,
    dtype: s.dtype,
    shape: JSON.parse(s.shape_json) as number[],
    dataOffset: s.data_offset,
    rows: s.rows,
    layout: JSON.parse(s.layout_json) as ShardRecord['layout'],
  }));
  return { id: row.id, name: row.name, source: JSON.parse(row.source_json) as Record<string, unknown>, shards };
}

export function findCorpusById(db: Db, id: number): { id: number; name: string } | undefined {
  return db.prepare('SELECT id, name FROM corpora WHERE id = ?').get(id) as { id: number; name: string } | undefined;
}

export function corpusNameById(db: Db, id: number): string | undefined {
  return db.prepare('SELECT name FROM corpora WHERE id = ?').pluck().get(id) as string | undefined;
}

export function corpusExists(db: Db, name: string): boolean {
  return !!db.prepare('SELECT 1 FROM corpora WHERE name = ?').get(name);
}

/** Every corpus with its document and row counts and the model and layer its sidecar named, in import order. */
export function listCorpusSummaries(
  db: Db,
): { id: number; name: string; documentCount: number; rows: number; model: unknown; layer: unknown }[] {
  return db
    .prepare(
      `SELECT c.id, c.name, (SELECT COUNT(*) FROM documents d WHERE d.corpus_id = c.id) AS documentCount,
              (SELECT COALESCE(SUM(s.rows), 0) FROM activation_shards s WHERE s.corpus_id = c.id) AS rows,
              json_extract(c.source_json, '$.model') AS model, json_extract(c.source_json, '$.layer') AS layer
       FROM corpora c ORDER BY c.id`,
    )
    .all() as { id: number; name: string; documentCount: number; rows: number; model: unknown; layer: unknown }[];
}

/** The corpus's document ids in import order. */
export function documentIdsOfCorpus(db: Db, corpusId: number): number[] {
  return db.prepare('SELECT id FROM documents WHERE corpus_id = ? ORDER BY id').pluck().all(corpusId) as number[];
}

/** The corpus's documents in import order with their ids in the file and their meta (a probe's labels). */
export function listCorpusDocuments(
  db: Db,
  corpusId: number,
): { id: number; externalId: string; meta: Record<string, unknown> }[] {
  return (
    db.prepare('SELECT id, external_id, meta_json FROM documents WHERE corpus_id = ? ORDER BY id').all(corpusId) as {
      id: number;
      external_id: string;
      meta_json: string;
    }[]
  ).map((d) => ({ id: d.id, externalId: d.external_id, meta: JSON.parse(d.meta_json) as Record<string, unknown> }));
}

export function documentExternalId(db: Db, documentId: number): string | undefined {
  return db.prepare('SELECT external_id FROM documents WHERE id = ?').pluck().get(documentId) as string | undefined;
}

/** Every activation shard with its corpus's name and its stored path as it is, corpus by corpus. */
export function listShardReferences(
  db: Db,
): { id: number; corpus: string; path: string; size: number; sha256: string }[] {
  return db
    .prepare(
      'SELECT a.id, c.name AS corpus, a.path, a.size, a.sha256 FROM activation_shards a JOIN corpora c ON c.id = a.corpus_id ORDER BY c.id, a.ordinal',
    )
    .all() as { id: number; corpus: string; path: string; size: number; sha256: string }[];
}

export function updateShardPath(db: Db, update: { id: number; path: string }): void {
  db.prepare('UPDATE activation_shards SET path = ? WHERE id = ?').run(update.path, update.id);
}

/** A document's token count and meta, as the example writer reads them per document. */
export interface DocumentShape {
  nTokens: number | null;
  meta_json: string;
}

/**
 * Looks documents' token count and meta up by id with one statement prepared once: the example
 * writer calls it for every document of every group it reads.
 */
export function documentShapeReader(db: Db): (documentId: number) => DocumentShape {
  const statement = db.prepare(
    'SELECT json_array_length(tokens_json) AS nTokens, meta_json FROM documents WHERE id = ?',
  );
  return (documentId) => statement.get(documentId) as DocumentShape;
}
