// Steering specs and the generations made under them (the rollouts raters judge).
import type { Db } from './db';

export interface NewSteeringSpec {
  name: string;
  layer: number;
  hookPoint: string;
  vectorSha256: string;
  coefficient: number;
  decoding: unknown;
  spec: unknown;
  createdAt: number;
}

export interface NewGeneration {
  steeringSpecId: number;
  prompt: string;
  mediaSha256: string | null;
  outputText: string;
  meta: unknown;
  createdAt: number;
}

/**
 * Writes the demo's additive probe-direction specs and their generations, with both statements
 * prepared once for the loop over class pairs and coefficients.
 */
export function probeSteeringWriter(db: Db): {
  insertSpec(spec: NewSteeringSpec): number;
  insertGeneration(generation: NewGeneration): number;
} {
  const insertSpec = db.prepare(
    `INSERT INTO steering_specs (name, method, layer, hook_point, positions, vector_source, vector_sha256, coefficient, coefficient_units, decoding_json, seed, spec_json, created_at)
     VALUES (?, 'add', ?, ?, 'prompt', 'probe', ?, ?, 'k·v (unit-norm class direction)', ?, 0, ?, ?)`,
  );
  const insertGeneration = db.prepare(
    'INSERT INTO generations (steering_spec_id, prompt, media_sha256, output_text, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return {
    insertSpec: (s) =>
      Number(
        insertSpec.run(
          s.name,
          s.layer,
          s.hookPoint,
          s.vectorSha256,
          s.coefficient,
          JSON.stringify(s.decoding),
          JSON.stringify(s.spec),
          s.createdAt,
        ).lastInsertRowid,
      ),
    insertGeneration: (g) =>
      Number(
        insertGeneration.run(
          g.steeringSpecId,
          g.prompt,
          g.mediaSha256,
          g.outputText,
          JSON.stringify(g.meta),
          g.createdAt,
        ).lastInsertRowid,
      ),
  };
}

export interface GenerationRecord {
  id: number;
  prompt: string;
  media_sha256: string | null;
  output_text: string;
  meta_json: string;
  steering_spec_id: number | null;
}

/** The given generations (all of them when `ids` is null), by id. */
export function listGenerations(db: Db, ids: number[] | null): GenerationRecord[] {
  return (
    ids
      ? db
          .prepare('SELECT * FROM generations WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id')
          .all(JSON.stringify(ids))
      : db.prepare('SELECT * FROM generations ORDER BY id').all()
  ) as GenerationRecord[];
}

// ---------------------------------------------------------------- sweeps (steer/sweep.ts, steer/merge.ts)
// A sweep writes one steering spec per k (named "sweep <id>: k=<k>", spec_json.sweep the sweep's
// spec) and one generation per (prompt, k) cell, its meta_json.sweep = { id, cell, prompt_index }.
// The cell numbers already in the project are what a resumed sweep or a repeated merge skips.

export interface SteeringSpecRow {
  name: string;
  method: string;
  layer: number;
  hookPoint: string;
  positions: string;
  vectorSource: string;
  vectorSha256: string | null;
  coefficient: number;
  coefficientUnits: string;
  decodingJson: string;
  seed: number;
  specJson: string;
  createdAt: number;
}

const SPEC_COLUMNS = `name, method, layer, hook_point AS hookPoint, positions, vector_source AS vectorSource, vector_sha256 AS vectorSha256, coefficient,
  coefficient_units AS coefficientUnits, decoding_json AS decodingJson, seed, spec_json AS specJson, created_at AS createdAt`;

export function findSteeringSpecId(db: Db, name: string): number | undefined {
  return db.prepare('SELECT id FROM steering_specs WHERE name = ?').pluck().get(name) as number | undefined;
}

export function insertSteeringSpec(db: Db, spec: SteeringSpecRow): number {
  return Number(
    db
      .prepare(
        `INSERT INTO steering_specs (name, method, layer, hook_point, positions, vector_source, vector_sha256, coefficient, coefficient_units, decoding_json, seed, spec_json, created_at)
         VALUES (@name, @method, @layer, @hookPoint, @positions, @vectorSource, @vectorSha256, @coefficient, @coefficientUnits, @decodingJson, @seed, @specJson, @createdAt)`,
      )
      .run(spec).lastInsertRowid,
  );
}

export function insertGenerationRow(db: Db, generation: NewGeneration): number {
  return Number(
    db
      .prepare(
        'INSERT INTO generations (steering_spec_id, prompt, media_sha256, output_text, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        generation.steeringSpecId,
        generation.prompt,
        generation.mediaSha256,
        generation.outputText,
        JSON.stringify(generation.meta),
        generation.createdAt,
      ).lastInsertRowid,
  );
}

/** Records the image a generation's prompt is about (the demo's text prompts stand in for its pictures). */
export function setGenerationMedia(db: Db, generationId: number, mediaSha256: string): void {
  db.prepare('UPDATE generations SET media_sha256 = ? WHERE id = ?').run(mediaSha256, generationId);
}

/** The grid cells of sweep `sweepId` that already have a generation here. */
export function sweepCellsDone(db: Db, sweepId: string): number[] {
  return db
    .prepare(
      "SELECT json_extract(meta_json, '$.sweep.cell') FROM generations WHERE json_extract(meta_json, '$.sweep.id') = ? ORDER BY 1",
    )
    .pluck()
    .all(sweepId) as number[];
}

/** The steering specs written by sweeps, as stored. */
export function listSweepSteeringSpecs(db: Db): SteeringSpecRow[] {
  return db
    .prepare(
      `SELECT ${SPEC_COLUMNS} FROM steering_specs WHERE json_extract(spec_json, '$.sweep.id') IS NOT NULL ORDER BY id`,
    )
    .all() as SteeringSpecRow[];
}

export interface SweepGenerationRow {
  specName: string;
  prompt: string;
  mediaSha256: string | null;
  outputText: string;
  metaJson: string;
  createdAt: number;
}

/** Every generation a sweep wrote, with the name of its steering spec, in sweep and cell order. */
export function listSweepGenerations(db: Db): SweepGenerationRow[] {
  return db
    .prepare(
      `SELECT s.name AS specName, g.prompt, g.media_sha256 AS mediaSha256, g.output_text AS outputText, g.meta_json AS metaJson, g.created_at AS createdAt
       FROM generations g JOIN steering_specs s ON s.id = g.steering_spec_id
       WHERE json_extract(g.meta_json, '$.sweep.id') IS NOT NULL
       ORDER BY json_extract(g.meta_json, '$.sweep.id'), json_extract(g.meta_json, '$.sweep.cell')`,
    )
    .all() as SweepGenerationRow[];
}

export interface SpecAndGeneration {
  spec: SteeringSpecRow;
  generation: Omit<NewGeneration, 'steeringSpecId'>;
}

/**
 * Writes generations in one transaction, each under the steering spec of its name (inserted the first
 * time): a sweep's batch or a merge's shard lands whole or not at all.
 */
export function writeSpecGenerations(db: Db, rows: readonly SpecAndGeneration[]): number[] {
  return db.transaction(() =>
    rows.map(({ spec, generation }) => {
      const specId = findSteeringSpecId(db, spec.name) ?? insertSteeringSpec(db, spec);
      return insertGenerationRow(db, { ...generation, steeringSpecId: specId });
    }),
  )();
}
