// Project-wide facts: the key/value project_meta table, the overview's counts, and the rowid marks
// the demo rolls a failed pipeline back to.
import type { Db } from './db';

export function getProjectMeta(db: Db, key: string): string | undefined {
  return db.prepare('SELECT value FROM project_meta WHERE key = ?').pluck().get(key) as string | undefined;
}

export function setProjectMeta(db: Db, key: string, value: string): void {
  db.prepare(
    'INSERT INTO project_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

export function projectCounts(db: Db): {
  documents: number;
  features: number;
  campaigns: number;
  raters: number;
  judgements: number;
} {
  const count = (table: 'documents' | 'features' | 'campaigns' | 'raters') =>
    db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  return {
    documents: count('documents'),
    features: count('features'),
    campaigns: count('campaigns'),
    raters: count('raters'),
    judgements: db.prepare("SELECT COUNT(*) FROM judgements WHERE action = 'submit'").pluck().get() as number,
  };
}

/** Tables whose rows an import, mine or sweep adds and a failed demo removes again (names are fixed here, never input). */
export type PipelineTable =
  | 'probe_runs'
  | 'generations'
  | 'steering_specs'
  | 'vectors'
  | 'models'
  | 'examples'
  | 'features'
  | 'activation_shards'
  | 'documents'
  | 'corpora'
  | 'saes'
  | 'jobs'
  | 'media';

/** The largest rowid in `table` (0 when empty): rows above it were added later. */
export function highestRowId(db: Db, table: PipelineTable): number {
  return db.prepare(`SELECT COALESCE(MAX(rowid), 0) FROM ${table}`).pluck().get() as number;
}

export function deleteRowsAbove(db: Db, table: PipelineTable, rowid: number): void {
  db.prepare(`DELETE FROM ${table} WHERE rowid > ?`).run(rowid);
}
