// What an export's provenance manifest and Neuronpedia rows look up beyond the judgements: the
// models, SAEs, corpora (with their shards), steering specs, generations and features a campaign
// refers to, by id, and the campaign's counts. Id lists are bound (one ? per id, or one JSON list
// through json_each), never spliced into the SQL.
import type { Db } from './db';

const inList = (ids: number[]): string => ids.map(() => '?').join(',');

/**
 * Distinct (key, value) pairs of the campaign's items' hidden fields named in `names`. Every name
 * ends in _id / Id (LIKE is case-insensitive for ASCII): items whose hidden text has no "id"
 * anywhere cannot hold one, and skipping their JSON parse halves a million-row export's set-up.
 */
export function hiddenReferenceValues(db: Db, campaignId: number, names: string[]): { key: string; value: unknown }[] {
  if (names.some((name) => !/id/i.test(name)))
    throw new Error('hiddenReferenceValues: every reference name must contain "id"');
  return db
    .prepare(
      `SELECT DISTINCT k.key, k.value FROM items i, json_each(i.hidden_json) k
       WHERE i.campaign_id = ? AND i.hidden_json LIKE '%id%' AND json_valid(i.hidden_json) AND k.key IN (SELECT value FROM json_each(?))`,
    )
    .all(campaignId, JSON.stringify(names)) as { key: string; value: unknown }[];
}

export function corpusShards(
  db: Db,
  corpusId: number,
): { ordinal: number; kind: string; path: string; size: number; sha256: string; rows: number }[] {
  return db
    .prepare(
      'SELECT ordinal, kind, path, size, sha256, rows FROM activation_shards WHERE corpus_id = ? ORDER BY ordinal',
    )
    .all(corpusId) as never;
}

/** Each generation's steering spec and the model its meta_json names. */
export function generationReferences(
  db: Db,
  generationIds: number[],
): { steering_spec_id: number | null; model_id: unknown }[] {
  return db
    .prepare(
      "SELECT DISTINCT steering_spec_id, json_extract(meta_json, '$.model_id') AS model_id FROM generations WHERE id IN (SELECT value FROM json_each(?))",
    )
    .all(JSON.stringify(generationIds)) as { steering_spec_id: number | null; model_id: unknown }[];
}

export function saeIdsOfFeatures(db: Db, featureIds: number[]): number[] {
  if (featureIds.length === 0) return [];
  return db
    .prepare(`SELECT DISTINCT sae_id FROM features WHERE id IN (${inList(featureIds)})`)
    .pluck()
    .all(...featureIds) as number[];
}

export function saesByIds(db: Db, saeIds: number[]): Record<string, unknown>[] {
  if (saeIds.length === 0) return [];
  return db
    .prepare(
      `SELECT id, name, model_id, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json FROM saes WHERE id IN (${inList(saeIds)}) ORDER BY id`,
    )
    .all(...saeIds) as Record<string, unknown>[];
}

/** The model ids the steering specs name: spec_json.model_id (any JSON value; callers keep the integers) or a sweep's model. */
export function steeringSpecModelIds(db: Db, specIds: number[]): unknown[] {
  if (specIds.length === 0) return [];
  // A sweep's spec names its model by name and sha256 (spec_json.sweep.model), not by row id.
  return db
    .prepare(
      `SELECT DISTINCT json_extract(spec_json, '$.model_id') FROM steering_specs WHERE id IN (SELECT value FROM json_each(?))
       UNION
       SELECT m.id FROM steering_specs s JOIN models m
         ON m.name = json_extract(s.spec_json, '$.sweep.model.name') AND m.sha256 = json_extract(s.spec_json, '$.sweep.model.sha256')
       WHERE s.id IN (SELECT value FROM json_each(?))`,
    )
    .pluck()
    .all(JSON.stringify(specIds), JSON.stringify(specIds)) as unknown[];
}

export function modelsByIds(db: Db, modelIds: number[]): Record<string, unknown>[] {
  if (modelIds.length === 0) return [];
  return db
    .prepare(
      `SELECT id, name, path, size, sha256, config_json FROM models WHERE id IN (${inList(modelIds)}) ORDER BY id`,
    )
    .all(...modelIds) as Record<string, unknown>[];
}

/** The corpora the features were mined from: their examples' documents' corpora. */
export function minedCorpusIds(db: Db, featureIds: number[]): number[] {
  if (featureIds.length === 0) return [];
  return db
    .prepare(
      'SELECT DISTINCT d.corpus_id FROM examples e JOIN documents d ON d.id = e.document_id WHERE e.feature_id IN (SELECT value FROM json_each(?))',
    )
    .pluck()
    .all(JSON.stringify(featureIds)) as number[];
}

export function corporaByIds(db: Db, corpusIds: number[]): Record<string, unknown>[] {
  if (corpusIds.length === 0) return [];
  return db
    .prepare(`SELECT id, name, description, source_json FROM corpora WHERE id IN (${inList(corpusIds)}) ORDER BY id`)
    .all(...corpusIds) as Record<string, unknown>[];
}

export function steeringSpecsByIds(db: Db, specIds: number[]): Record<string, unknown>[] {
  if (specIds.length === 0) return [];
  return db
    .prepare(
      `SELECT id, name, method, layer, hook_point, positions, vector_source, vector_sha256, coefficient, coefficient_units, decoding_json, seed, spec_json FROM steering_specs WHERE id IN (${inList(specIds)}) ORDER BY id`,
    )
    .all(...specIds) as Record<string, unknown>[];
}

/** Each distinct (SAE, stats_json) among the features: the mining runs' sampling records. */
export function featureRunStats(db: Db, featureIds: number[]): { sae_id: number; stats_json: string }[] {
  if (featureIds.length === 0) return [];
  return db
    .prepare(
      'SELECT DISTINCT f.sae_id, f.stats_json FROM features f WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY f.sae_id',
    )
    .all(JSON.stringify(featureIds)) as { sae_id: number; stats_json: string }[];
}

export function itemCountsByKind(db: Db, campaignId: number): { kind: string; n: number }[] {
  return db
    .prepare('SELECT kind, COUNT(*) AS n FROM items WHERE campaign_id = ? GROUP BY kind ORDER BY kind')
    .all(campaignId) as { kind: string; n: number }[];
}

export function campaignProvenanceCounts(
  db: Db,
  campaignId: number,
): { items: number; raters: number; raters_with_judgements: number; undone: number } {
  return db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM items WHERE campaign_id = @id) AS items,
              (SELECT COUNT(*) FROM raters WHERE campaign_id = @id) AS raters,
              (SELECT COUNT(*) FROM raters r WHERE r.campaign_id = @id
                 AND EXISTS (SELECT 1 FROM assignments a WHERE a.rater_id = r.id AND a.status = 'submitted')) AS raters_with_judgements,
              -- undo rows are the ones that supersede something: the partial index finds them without a
              -- scan, provided judgements drive the join (CROSS JOIN); otherwise SQLite walks every item's judgements
              (SELECT COUNT(*) FROM judgements j CROSS JOIN assignments a ON a.id = j.assignment_id CROSS JOIN items i ON i.id = a.item_id
                 WHERE j.supersedes_id IS NOT NULL AND i.campaign_id = @id AND j.action = 'undo') AS undone`,
    )
    .get({ id: campaignId }) as { items: number; raters: number; raters_with_judgements: number; undone: number };
}

/**
 * The features a campaign's items name (hidden.feature_id, payload.feature_id or
 * payload.feature.id) with their SAE and model, for Neuronpedia's modelId / layer / index.
 */
export function campaignFeatureSaes(
  db: Db,
  campaignId: number,
): {
  id: number;
  feature_index: number;
  sae_name: string;
  layer: number | null;
  hook_point: string | null;
  config_json: string;
  model_name: string | null;
}[] {
  return db
    .prepare(
      `SELECT f.id, f.feature_index, s.name AS sae_name, s.layer, s.hook_point, s.config_json, m.name AS model_name
       FROM features f JOIN saes s ON s.id = f.sae_id LEFT JOIN models m ON m.id = s.model_id
       WHERE f.id IN (
         SELECT COALESCE(json_extract(hidden_json, '$.feature_id'), json_extract(payload_json, '$.feature_id'), json_extract(payload_json, '$.feature.id'))
         FROM items WHERE campaign_id = ? AND json_valid(hidden_json) AND json_valid(payload_json))`,
    )
    .all(campaignId) as never;
}
