// Mining results are staged in a scratch SQLite file owned by the job, then swapped into
// project.sqlite in one short transaction. Re-encoding the chosen example documents takes tens of
// seconds to minutes on a real SAE; holding the project's write lock across it made every other
// writer (a rater's submit over the LAN waits 5 s for the lock) fail with SQLITE_BUSY while a
// researcher mined. Until the swap commits, the SAE's previous results stand untouched, so a crash
// or cancel at any point still leaves them exactly as they were.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './db';

/** features columns besides id and sae_id, in the order `addFeature` takes them. */
const FEATURE_COLUMNS =
  'feature_index, fire_count, token_count, density, max_activation, image_count, text_count, modality, histogram_json, stats_json';
/** examples columns besides id and feature_id, in the order `addExample` takes them (after the feature index). */
const EXAMPLE_COLUMNS =
  'document_id, bucket, rank, max_activation, token_acts_json, patch_acts_json, patch_rows, patch_cols';

export type StagedFeature = [
  featureIndex: number,
  fireCount: number,
  tokenCount: number,
  density: number,
  maxActivation: number,
  imageCount: number,
  textCount: number,
  modality: string,
  histogramJson: string,
  statsJson: string,
];

export type StagedExample = [
  featureIndex: number,
  documentId: number,
  bucket: string,
  rank: number,
  maxActivation: number,
  tokenActsJson: string | null,
  patchActsJson: string | null,
  patchRows: number | null,
  patchCols: number | null,
];

export class MiningStage {
  private db: Db | null;
  private readonly insertFeature: Database.Statement;
  private readonly insertExample: Database.Statement;

  /** Starts an empty stage at `file`, replacing whatever a crashed run of the same job left there. */
  constructor(readonly file: string) {
    removeStage(file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    try {
      // Scratch: a crash throws the file away, so neither a journal file nor fsync buys anything.
      // (journal_mode=OFF is refused in better-sqlite3's defensive mode; MEMORY journals only the
      // few pages that existed before the transaction, and this file starts empty.)
      this.db.pragma('journal_mode = MEMORY');
      this.db.pragma('synchronous = OFF');
      // Examples carry the feature index, not features.id: ids are assigned in the swap.
      this.db.exec(`CREATE TABLE features (${FEATURE_COLUMNS.replace('feature_index', 'feature_index INTEGER PRIMARY KEY')});
                    CREATE TABLE examples (id INTEGER PRIMARY KEY, feature_index INTEGER NOT NULL, ${EXAMPLE_COLUMNS});`);
      this.insertFeature = this.db.prepare(
        `INSERT INTO features (${FEATURE_COLUMNS}) VALUES (${placeholders(FEATURE_COLUMNS)})`,
      );
      this.insertExample = this.db.prepare(
        `INSERT INTO examples (feature_index, ${EXAMPLE_COLUMNS}) VALUES (?, ${placeholders(EXAMPLE_COLUMNS)})`,
      );
      // One transaction over the whole stage: nothing else ever opens this file while it is written.
      this.db.exec('BEGIN');
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  addFeature(row: StagedFeature): void {
    this.insertFeature.run(row);
  }

  /** Examples keep the order they are added in (and get project ids in that order). */
  addExample(row: StagedExample): void {
    this.insertExample.run(row);
  }

  /**
   * Replaces the SAE's features and examples in project.sqlite with the staged ones, in one
   * transaction: delete the old rows, copy the features (getting their ids), copy the examples
   * joined to them on feature_index. Returns how long the project's write lock was held.
   */
  swapInto(project: Db, saeId: number): { lockSeconds: number } {
    const stage = this.db;
    if (!stage) throw new Error(`${this.file}: the stage was discarded`);
    stage.exec('COMMIT');
    stage.close();
    this.db = null;
    project.prepare('ATTACH DATABASE ? AS stage').run(this.file);
    try {
      const statements = [
        project.prepare(
          'DELETE FROM main.examples WHERE feature_id IN (SELECT id FROM main.features WHERE sae_id = ?)',
        ),
        project.prepare('DELETE FROM main.features WHERE sae_id = ?'),
        project.prepare(
          `INSERT INTO main.features (sae_id, ${FEATURE_COLUMNS}) SELECT ?, ${FEATURE_COLUMNS} FROM stage.features ORDER BY feature_index`,
        ),
        // Examples are scanned in staging order and each looks its feature up by the
        // UNIQUE (sae_id, feature_index) index, so ids follow the order the examples were added in.
        project.prepare(
          `INSERT INTO main.examples (feature_id, ${EXAMPLE_COLUMNS})
           SELECT f.id, ${prefixed('e', EXAMPLE_COLUMNS)} FROM stage.examples e
           JOIN main.features f ON f.sae_id = ? AND f.feature_index = e.feature_index ORDER BY e.id`,
        ),
      ];
      project.exec('BEGIN IMMEDIATE');
      const locked = performance.now();
      try {
        for (const statement of statements) statement.run(saeId);
        project.exec('COMMIT');
      } catch (error) {
        if (project.inTransaction) project.exec('ROLLBACK');
        throw error;
      }
      return { lockSeconds: (performance.now() - locked) / 1000 };
    } finally {
      project.exec('DETACH DATABASE stage');
    }
  }

  /** Closes the stage (if still open) and deletes its file; safe to call more than once. */
  discard(): void {
    this.db?.close();
    this.db = null;
    removeStage(this.file);
  }
}

/** A stage file and the journal a crashed writer may have left beside it. */
function removeStage(file: string): void {
  for (const f of [file, `${file}-journal`, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
}

const placeholders = (columns: string) =>
  columns
    .split(', ')
    .map(() => '?')
    .join(', ');
const prefixed = (alias: string, columns: string) =>
  columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');
