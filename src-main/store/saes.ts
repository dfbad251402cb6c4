// The `saes` table: references to SAE weight files (path, size, sha256, never copied) and the
// config that rebuilds the same encoder. Paths inside the project folder are stored relative to it
// and read back resolved (util/stored-paths.ts), so a moved or zipped project still finds them.
import type { ImportedSae } from '../contract/imports';
import type { SaeSummary } from '../contract/types';
import type { SaeWeights, SourceFile } from '../engine/sae-model';
import { AppError } from '../util/errors';
import { resolveStoredPath } from '../util/stored-paths';
import type { Db, ProjectConnection } from './db';

/** What config_json holds: everything needed to rebuild the same encoder later. */
export interface SaeConfig {
  normalizeActivations: SaeWeights['normalizeActivations'];
  applyBDecToInput: boolean;
  k?: number;
  inputScale?: number;
  rescaleActsByDecoderNorm?: boolean;
  files: SourceFile[];
}

/** The contract's ImportedSae (declared once there), with the config typed. */
export interface SaeRecord extends Omit<ImportedSae, 'config'> {
  /** config.files[].path absolute, like `path` */
  config: SaeConfig;
}

/** A new loaded SAE; `path` and `config.files[].path` already in stored form. */
export interface NewSae {
  name: string;
  format: string;
  architecture: string;
  layer: number | null;
  hookPoint: string | null;
  dIn: number;
  dSae: number;
  path: string;
  size: number;
  sha256: string;
  config: SaeConfig;
}

interface RawSae {
  id: number;
  name: string;
  format: string;
  architecture: string;
  layer: number | null;
  hook_point: string | null;
  d_in: number;
  d_sae: number;
  path: string;
  size: number | null;
  sha256: string | null;
  config_json: string;
}

export function saeExists(db: Db, name: string): boolean {
  return !!db.prepare('SELECT 1 FROM saes WHERE name = ?').get(name);
}

export function insertSae(db: Db, sae: NewSae): number {
  return Number(
    db
      .prepare(
        `INSERT INTO saes (name, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sae.name,
        sae.format,
        sae.architecture,
        sae.layer,
        sae.hookPoint,
        sae.dIn,
        sae.dSae,
        sae.path,
        sae.size,
        sae.sha256,
        JSON.stringify(sae.config),
        Date.now(),
      ).lastInsertRowid,
  );
}

/** A precomputed (delphi) SAE: no weights, only its width and the cache folder (stored form). */
export function insertPrecomputedSae(db: Db, sae: { name: string; dSae: number; path: string; config: unknown }): void {
  db.prepare(
    `INSERT INTO saes (name, format, architecture, d_in, d_sae, path, config_json, created_at) VALUES (?, 'delphi', 'precomputed', 0, ?, ?, ?, ?)`,
  ).run(sae.name, sae.dSae, sae.path, JSON.stringify(sae.config), Date.now());
}

export function findSaeWidthByName(db: Db, name: string): { id: number; d_sae: number } | undefined {
  return db.prepare('SELECT id, d_sae FROM saes WHERE name = ?').get(name) as { id: number; d_sae: number } | undefined;
}

export function findSaeById(db: Db, id: number): { id: number; name: string } | undefined {
  return db.prepare('SELECT id, name FROM saes WHERE id = ?').get(id) as { id: number; name: string } | undefined;
}

export function saeNameById(db: Db, id: number): string | undefined {
  return db.prepare('SELECT name FROM saes WHERE id = ?').pluck().get(id) as string | undefined;
}

export function saeIdByName(db: Db, name: string): number | undefined {
  return db.prepare('SELECT id FROM saes WHERE name = ?').pluck().get(name) as number | undefined;
}

export function setSaeModel(db: Db, saeId: number, modelId: number): void {
  db.prepare('UPDATE saes SET model_id = ? WHERE id = ?').run(modelId, saeId);
}

/** The SAE named `name` (or with row `id`, when given), its paths resolved; not_found lists the known names. */
export function getSaeByName(project: ProjectConnection, name: string, id?: number): SaeRecord {
  const raw = (
    id !== undefined
      ? project.db.prepare('SELECT * FROM saes WHERE id = ?').get(id)
      : project.db.prepare('SELECT * FROM saes WHERE name = ?').get(name)
  ) as RawSae | undefined;
  if (!raw) {
    const known =
      (project.db.prepare('SELECT name FROM saes ORDER BY id').pluck().all() as string[]).join(', ') || 'none';
    throw new AppError(
      'not_found',
      `no SAE named "${name}" in this project (known: ${known}); import one with \`sightline import-sae\``,
    );
  }
  const config = JSON.parse(raw.config_json) as SaeConfig;
  config.files = (config.files ?? []).map((file) => ({ ...file, path: resolveStoredPath(project.dir, file.path) }));
  return {
    id: raw.id,
    name: raw.name,
    format: raw.format,
    architecture: raw.architecture,
    layer: raw.layer,
    hookPoint: raw.hook_point,
    dIn: raw.d_in,
    dSae: raw.d_sae,
    path: resolveStoredPath(project.dir, raw.path),
    size: raw.size,
    sha256: raw.sha256,
    config,
  };
}

/** Every SAE with the number of its mined features, by layer. */
export function listSaeSummaries(db: Db): SaeSummary[] {
  return db
    .prepare(
      `SELECT s.id, s.name, s.architecture, s.layer, s.d_in AS dIn, s.d_sae AS dSae,
              (SELECT COUNT(*) FROM features f WHERE f.sae_id = s.id) AS featureCount
       FROM saes s ORDER BY s.layer, s.id`,
    )
    .all() as SaeSummary[];
}

/** An SAE that references files, with its stored path and config as they are. */
export interface StoredSaeReference {
  id: number;
  name: string;
  path: string;
  config_json: string;
}

/** SAEs with a path (one made in code, e.g. by tests, references nothing), in import order. */
export function listSaeReferences(db: Db): StoredSaeReference[] {
  return db
    .prepare('SELECT id, name, path, config_json FROM saes WHERE path IS NOT NULL ORDER BY id')
    .all() as StoredSaeReference[];
}

export function updateSaeLocation(db: Db, update: { id: number; path: string; configJson: string }): void {
  db.prepare('UPDATE saes SET path = ?, config_json = ? WHERE id = ?').run(update.path, update.configJson, update.id);
}
