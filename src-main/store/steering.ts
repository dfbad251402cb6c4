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
export function probeSteeringWriter(db: Db): { insertSpec(spec: NewSteeringSpec): number; insertGeneration(generation: NewGeneration): number } {
  const insertSpec = db.prepare(
    `INSERT INTO steering_specs (name, method, layer, hook_point, positions, vector_source, vector_sha256, coefficient, coefficient_units, decoding_json, seed, spec_json, created_at)
     VALUES (?, 'add', ?, ?, 'prompt', 'probe', ?, ?, 'k·v (unit-norm class direction)', ?, 0, ?, ?)`,
  );
  const insertGeneration = db.prepare('INSERT INTO generations (steering_spec_id, prompt, media_sha256, output_text, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  return {
    insertSpec: (s) =>
      Number(insertSpec.run(s.name, s.layer, s.hookPoint, s.vectorSha256, s.coefficient, JSON.stringify(s.decoding), JSON.stringify(s.spec), s.createdAt).lastInsertRowid),
    insertGeneration: (g) =>
      Number(insertGeneration.run(g.steeringSpecId, g.prompt, g.mediaSha256, g.outputText, JSON.stringify(g.meta), g.createdAt).lastInsertRowid),
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
      ? db.prepare('SELECT * FROM generations WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id').all(JSON.stringify(ids))
      : db.prepare('SELECT * FROM generations ORDER BY id').all()
  ) as GenerationRecord[];
}
