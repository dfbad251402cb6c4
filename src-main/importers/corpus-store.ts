// Inserts for corpora, documents and activation shard references, and reading them back for mining.
// Shard paths inside the project folder are stored relative to it and read back resolved
// (project/references.ts), so a moved or zipped project still finds its shards.
import type { Project } from '../project/project';
import { checkReferencedFile, resolveStoredPath, toStoredPath } from '../project/references';
import type { Db } from '../store/db';
import { AppError } from '../util/errors';
import type { StoredSegment } from '../mining/layout';

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
  if (db.prepare('SELECT 1 FROM corpora WHERE name = ?').get(name)) {
    throw new AppError('conflict', `a corpus named "${name}" is already in this project; pass --corpus to choose another name`);
  }
  return Number(
    db.prepare('INSERT INTO corpora (name, description, source_json, created_at) VALUES (?, ?, ?, ?)').run(name, description, JSON.stringify(source), Date.now())
      .lastInsertRowid,
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
      .prepare('INSERT INTO documents (corpus_id, external_id, kind, text, tokens_json, media_sha256, meta_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(corpusId, d.externalId, d.kind, d.text, d.tokens ? JSON.stringify(d.tokens) : null, d.mediaSha256, JSON.stringify(d.meta ?? {})).lastInsertRowid,
  );
}

export function insertShard(project: Project, corpusId: number, s: Omit<ShardRecord, 'id'>): number {
  return Number(
    project.db
      .prepare(
        `INSERT INTO activation_shards (corpus_id, ordinal, kind, container, path, size, sha256, dtype, shape_json, data_offset, rows, layout_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(corpusId, s.ordinal, s.kind, s.container, toStoredPath(project.dir, s.path), s.size, s.sha256, s.dtype, JSON.stringify(s.shape), s.dataOffset, s.rows, JSON.stringify(s.layout))
      .lastInsertRowid,
  );
}

export function getCorpus(project: Project, name: string): CorpusRecord {
  const { db } = project;
  const row = db.prepare('SELECT id, name, source_json FROM corpora WHERE name = ?').get(name) as { id: number; name: string; source_json: string } | undefined;
  if (!row) {
    const known = (db.prepare('SELECT name FROM corpora ORDER BY id').pluck().all() as string[]).join(', ') || 'none';
    throw new AppError('not_found', `no corpus named "${name}" in this project (known: ${known}); import one with \`sightline import-activations\``);
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

/** Cheap check before mining: every shard still exists with its recorded size. */
export function checkCorpusFilesPresent(project: Project, corpus: CorpusRecord): void {
  for (const shard of corpus.shards) checkReferencedFile(project.dir, shard, `shard ${shard.ordinal + 1} of corpus "${corpus.name}"`);
}
