// Reading sweeps back for the Steer page: which sweeps a project holds and one sweep's generations.
// A sweep is not a table of its own: its steering specs carry spec_json.sweep (the whole sweep spec)
// and its generations meta_json.sweep = { id, cell, prompt_index } (steer/sweep.ts writes both).
import type { SweepGeneration } from '../contract/steer';
import type { Db } from './db';

export interface SweepRow {
  sweepId: string;
  /** spec_json of one of the sweep's steering specs: { sweep: {...spec}, k } */
  specJson: string;
  createdAt: number;
  generations: number;
}

/** Every sweep with a steering spec in the project, newest first, with its count of generations. */
export function listSweeps(db: Db): SweepRow[] {
  return db
    .prepare(
      `SELECT s.sweep_id AS sweepId, s.spec_json AS specJson, s.created_at AS createdAt,
         (SELECT COUNT(*) FROM generations g WHERE json_extract(g.meta_json, '$.sweep.id') = s.sweep_id) AS generations
       FROM (SELECT json_extract(spec_json, '$.sweep.id') AS sweep_id, MIN(id) AS first_id FROM steering_specs
             WHERE json_extract(spec_json, '$.sweep.id') IS NOT NULL GROUP BY 1) f
       JOIN (SELECT id, json_extract(spec_json, '$.sweep.id') AS sweep_id, spec_json, created_at FROM steering_specs) s
         ON s.id = f.first_id
       ORDER BY s.created_at DESC, s.id DESC`,
    )
    .all() as SweepRow[];
}

/** The generations of sweep `sweepId`, in cell order (prompt-major, then k as the sweep listed them). */
export function sweepGenerations(db: Db, sweepId: string): SweepGeneration[] {
  const rows = db
    .prepare(
      `SELECT id AS generationId, json_extract(meta_json, '$.sweep.cell') AS cell,
         json_extract(meta_json, '$.sweep.prompt_index') AS promptIndex, json_extract(meta_json, '$.k') AS k,
         prompt, output_text AS text, json_extract(meta_json, '$.kl') AS kl,
         json_extract(meta_json, '$.image.document') AS imageDocument, media_sha256 AS mediaSha256
       FROM generations WHERE json_extract(meta_json, '$.sweep.id') = ?
       ORDER BY json_extract(meta_json, '$.sweep.cell')`,
    )
    .all(sweepId) as (Omit<SweepGeneration, 'image'> & { imageDocument: string | null; mediaSha256: string | null })[];
  return rows.map(({ imageDocument, mediaSha256, ...row }) => ({
    ...row,
    ...(imageDocument !== null && mediaSha256 !== null ? { image: { document: imageDocument, mediaSha256 } } : {}),
  }));
}
