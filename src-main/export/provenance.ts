// The provenance manifest every export carries (issue 5): which Sightline and schema wrote it, the
// campaign's settings and seeds, counts, the hashes of the models / SAEs / corpora / steering
// vectors the campaign refers to, and where in each row the rater's view is recorded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { schemaVersion, parseJson, type Db } from '../store/db';
import { samplingOf } from '../store/features';
import { listRatersForProvenance } from '../store/raters';
import { unknownOrderJudgements } from '../store/judgements';
import { appRoot } from '../util/paths';
import { resolveStoredPath } from '../project/references';
import type { ExportSource } from './source';

let cachedVersion: string | undefined;
export function appVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    cachedVersion = String(JSON.parse(fs.readFileSync(path.join(appRoot(), 'package.json'), 'utf8')).version);
  } catch {
    cachedVersion = 'unknown';
  }
  return cachedVersion;
}

export const sha256Text = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

export interface OutputFileRecord {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * Ids the campaign refers to, in its settings or its items' hidden fields (snake_case or camelCase,
 * one id or a list): one json_each pass over the items for every name at once.
 */
function referencedIdSets(db: Db, campaignId: number, settings: Record<string, unknown>, groups: Record<string, string[]>): Record<string, number[]> {
  const names = Object.values(groups).flat();
  const found = new Map<string, Set<number>>(names.map((name) => [name, new Set()]));
  const add = (name: string, value: unknown) => {
    if (Array.isArray(value)) value.forEach((entry) => add(name, entry));
    else if (typeof value === 'number' && Number.isInteger(value)) found.get(name)!.add(value);
    else if (typeof value === 'string' && /^\d+$/.test(value)) found.get(name)!.add(Number(value));
    else if (typeof value === 'string' && value.startsWith('[')) {
      try {
        add(name, JSON.parse(value));
      } catch {
        /* not a list of ids */
      }
    }
  };
  for (const name of names) add(name, settings[name]);
  // Every name ends in _id / Id (LIKE is case-insensitive for ASCII): items whose hidden text has
  // no "id" anywhere cannot hold one, and skipping their JSON parse halves a million-row export's set-up.
  if (names.some((name) => !/id/i.test(name))) throw new Error('referencedIdSets: every reference name must contain "id"');
  const rows = db
    .prepare(
      `SELECT DISTINCT k.key, k.value FROM items i, json_each(i.hidden_json) k
       WHERE i.campaign_id = ? AND i.hidden_json LIKE '%id%' AND json_valid(i.hidden_json) AND k.key IN (SELECT value FROM json_each(?))`,
    )
    .all(campaignId, JSON.stringify(names)) as { key: string; value: unknown }[];
  for (const row of rows) add(row.key, row.value);
  return Object.fromEntries(
    Object.entries(groups).map(([group, groupNames]) => [group, [...new Set(groupNames.flatMap((name) => [...found.get(name)!]))].sort((a, b) => a - b)]),
  );
}

const inList = (ids: number[]): string => ids.map(() => '?').join(',');

/**
 * The project stores referenced files inside its folder relative to it (project/references.ts);
 * that folder is the one holding project.sqlite, so provenance resolves them against it.
 */
const projectDirOf = (db: Db): string => path.dirname(db.name);

/**
 * A corpus is its referenced activation shards (never copied): each shard's path, size and sha256,
 * and one corpus sha256 over the shard hashes in order (sha256 of "<shard sha256>\n" per shard), so
 * two exports can be compared on one value. null when the corpus has no shards (documents only).
 */
function corpusHashes(db: Db, corpusId: number): { sha256: string | null; shards: Record<string, unknown>[] } {
  const shards = (db.prepare('SELECT ordinal, kind, path, size, sha256, rows FROM activation_shards WHERE corpus_id = ? ORDER BY ordinal').all(corpusId) as { path: string; sha256: string }[]).map(
    (shard) => ({ ...shard, path: resolveStoredPath(projectDirOf(db), shard.path) }),
  );
  return { sha256: shards.length ? sha256Text(shards.map((shard) => `${shard.sha256}\n`).join('')) : null, shards };
}

function references(db: Db, source: ExportSource) {
  const { campaign } = source;
  const variants = (name: string, camel: string) => [name, camel, `${name}s`, `${camel}s`];
  const referenced = referencedIdSets(db, campaign.id, campaign.settings, {
    features: variants('feature_id', 'featureId'),
    saes: variants('sae_id', 'saeId'),
    models: variants('model_id', 'modelId'),
    corpora: variants('corpus_id', 'corpusId'),
    steeringSpecs: variants('steering_spec_id', 'steeringSpecId'),
    generations: variants('generation_id', 'generationId'),
  });
  // Items built from generations may name only the generation (the demo's "Which concept?"): its
  // steering spec, and the model the spec or the generation names (spec_json / meta_json model_id), count too.
  const specIds = new Set(referenced.steeringSpecs);
  const modelIds = new Set(referenced.models);
  if (referenced.generations.length > 0) {
    const generated = db
      .prepare("SELECT DISTINCT steering_spec_id, json_extract(meta_json, '$.model_id') AS model_id FROM generations WHERE id IN (SELECT value FROM json_each(?))")
      .all(JSON.stringify(referenced.generations)) as { steering_spec_id: number | null; model_id: unknown }[];
    for (const row of generated) {
      if (row.steering_spec_id !== null) specIds.add(row.steering_spec_id);
      if (typeof row.model_id === 'number' && Number.isInteger(row.model_id)) modelIds.add(row.model_id);
    }
  }
  const specList = [...specIds].sort((a, b) => a - b);
  const featureIds = referenced.features;
  const saeIds = new Set(referenced.saes);
  if (featureIds.length > 0) {
    const fromFeatures = db.prepare(`SELECT DISTINCT sae_id FROM features WHERE id IN (${inList(featureIds)})`).pluck().all(...featureIds) as number[];
    fromFeatures.forEach((id) => saeIds.add(id));
  }
  const saeList = [...saeIds].sort((a, b) => a - b);
  const saes = saeList.length
    ? (db
        .prepare(`SELECT id, name, model_id, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json FROM saes WHERE id IN (${inList(saeList)}) ORDER BY id`)
        .all(...saeList) as Record<string, unknown>[])
    : [];
  for (const sae of saes) if (typeof sae.model_id === 'number') modelIds.add(sae.model_id);
  if (specList.length > 0) {
    const specModels = db
      .prepare("SELECT DISTINCT json_extract(spec_json, '$.model_id') FROM steering_specs WHERE id IN (SELECT value FROM json_each(?))")
      .pluck()
      .all(JSON.stringify(specList)) as unknown[];
    for (const id of specModels) if (typeof id === 'number' && Number.isInteger(id)) modelIds.add(id);
  }
  const modelList = [...modelIds].sort((a, b) => a - b);
  const models = modelList.length
    ? (db.prepare(`SELECT id, name, path, size, sha256, config_json FROM models WHERE id IN (${inList(modelList)}) ORDER BY id`).all(...modelList) as Record<string, unknown>[])
    : [];
  // The corpora the features were mined from (their examples' documents), besides any named directly.
  const corpusIds = new Set(referenced.corpora);
  if (featureIds.length > 0) {
    const mined = db
      .prepare('SELECT DISTINCT d.corpus_id FROM examples e JOIN documents d ON d.id = e.document_id WHERE e.feature_id IN (SELECT value FROM json_each(?))')
      .pluck()
      .all(JSON.stringify(featureIds)) as number[];
    mined.forEach((id) => corpusIds.add(id));
  }
  const corpusList = [...corpusIds].sort((a, b) => a - b);
  const corpora = corpusList.length
    ? (db.prepare(`SELECT id, name, description, source_json FROM corpora WHERE id IN (${inList(corpusList)}) ORDER BY id`).all(...corpusList) as Record<string, unknown>[]).map(
        (corpus) => ({ ...corpus, ...corpusHashes(db, corpus.id as number) }),
      )
    : [];
  const steeringSpecs = specList.length
    ? (db
        .prepare(
          `SELECT id, name, method, layer, hook_point, positions, vector_source, vector_sha256, coefficient, coefficient_units, decoding_json, seed, spec_json FROM steering_specs WHERE id IN (${inList(specList)}) ORDER BY id`,
        )
        .all(...specList) as Record<string, unknown>[])
    : [];
  // How the shown examples were chosen: each mining run's scheme (features.stats_json), once per SAE and
  // run. stats_json also holds per-feature fields (the demo's planted concept, for one), so DISTINCT
  // over the whole text would repeat a run once per feature: rows are keyed on the run's fields only.
  const featureSampling: Record<string, unknown>[] = [];
  if (featureIds.length) {
    const seen = new Set<string>();
    const rows = db
      .prepare('SELECT DISTINCT f.sae_id, f.stats_json FROM features f WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY f.sae_id')
      .all(JSON.stringify(featureIds)) as { sae_id: number; stats_json: string }[];
    for (const row of rows) {
      const stats = parseJson<Record<string, unknown> | null>(row.stats_json, 'features.stats_json');
      const { tokenCount: _tokens, ...sampling } = samplingOf(stats, 0);
      // write-results.ts records the mining job's id with every feature of the run.
      const job = typeof stats?.job === 'number' ? stats.job : null;
      const run = { sae_id: row.sae_id, ...(job === null ? {} : { job }), ...sampling };
      const key = JSON.stringify(run);
      if (seen.has(key)) continue;
      seen.add(key);
      featureSampling.push(run);
    }
  }
  const unjson = (row: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(row).map(([key, value]) => (key.endsWith('_json') ? [key.slice(0, -5), parseJson(value as string, key)] : [key, value])));
  return {
    models: models.map(unjson),
    saes: saes.map(unjson).map((sae) => withResolvedPaths(db, sae)),
    corpora: corpora.map(unjson),
    steering_specs: steeringSpecs.map(unjson),
    features: featureIds.length,
    generations: referenced.generations.length,
    feature_sampling: featureSampling,
  };
}

/** An SAE's path and source files as absolute paths (see projectDirOf). */
function withResolvedPaths(db: Db, sae: Record<string, unknown>): Record<string, unknown> {
  const resolve = (stored: unknown) => (typeof stored === 'string' ? resolveStoredPath(projectDirOf(db), stored) : stored);
  const config = sae.config as { files?: { path?: unknown }[] } | null;
  const files = Array.isArray(config?.files) ? config.files.map((file) => ({ ...file, path: resolve(file.path) })) : undefined;
  return { ...sae, path: resolve(sae.path), ...(files ? { config: { ...config, files } } : {}) };
}

export interface ProvenanceInput {
  format: string;
  files: OutputFileRecord[];
  /** Judgements exported (counted while streaming). */
  judgements: number;
  exportedAt: Date;
  extra?: Record<string, unknown>;
}

export function buildProvenance(source: ExportSource, input: ProvenanceInput): Record<string, unknown> {
  const { db, campaign } = source;
  const itemsByKind = Object.fromEntries(
    (db.prepare('SELECT kind, COUNT(*) AS n FROM items WHERE campaign_id = ? GROUP BY kind ORDER BY kind').all(campaign.id) as { kind: string; n: number }[]).map((row) => [row.kind, row.n]),
  );
  const counts = db
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
    .get({ id: campaign.id }) as { items: number; raters: number; raters_with_judgements: number; undone: number };
  const raters = listRatersForProvenance(db, campaign.id);
  const settings = campaign.settings;
  const unknownOrder = unknownOrderJudgements(db, campaign.id);
  return {
    generator: { app: 'Sightline', version: appVersion(), schema_version: schemaVersion(db) },
    exported_at: input.exportedAt.toISOString(),
    format: input.format,
    files: input.files,
    campaign: {
      id: campaign.id,
      name: campaign.name,
      status: campaign.status,
      template: { id: campaign.template.id, version: campaign.template.version, title: campaign.template.title, sha256: sha256Text(JSON.stringify(campaign.template)) },
      questions: campaign.template.questions,
      instructions: { version: campaign.instructionsVersion, sha256: sha256Text(campaign.instructions), text: campaign.instructions },
      overlap: campaign.overlap,
      seed: campaign.seed,
      order_mode: campaign.orderMode,
      lease_seconds: campaign.leaseSeconds,
      max_items_per_rater: campaign.maxItemsPerRater,
      settings,
    },
    sampling: settings.sampling ?? settings.samplingScheme ?? settings.sampling_scheme ?? null,
    counts: {
      items: counts.items,
      items_by_kind: itemsByKind,
      raters: counts.raters,
      raters_with_judgements: counts.raters_with_judgements,
      judgements: input.judgements,
      undone_submissions: counts.undone,
    },
    raters: {
      identities: source.revealRaters ? 'revealed' : 'pseudonymous',
      // Each rater's seed fixes the option order they saw (templates.showQuestions), so the order
      // can be re-derived; the order actually shown is also stored with every judgement.
      // completion: which Prolific code the rater was first given and when (issue 11), or null.
      list: raters.map((rater) => ({
        rater: source.revealRaters ? rater.name : rater.pseudonym,
        pseudonym: rater.pseudonym,
        seed: rater.seed,
        status: rater.status,
        completion: rater.completion && { outcome: rater.completion.outcome, shown_at: new Date(rater.completion.shownAt).toISOString() },
      })),
    },
    references: references(db, source),
    what_raters_saw:
      'Every row carries `shown_order`: the option values of each choice question in the order this rater saw them (and, for pair ' +
      'displays, "@pairs": the fields left to right). With `payload` (what the rater was shown) and `campaign.questions` and ' +
      '`campaign.instructions` above, that is the rater\'s screen; exports made with fullShown (CLI --full-shown) also carry `shown`, ' +
      'the questions exactly as rendered. `hidden` never reached the rater. Judgements imported from a results file that did not ' +
      'record the order have `shown_order` null (an empty cell in CSV and MTurk files), or null for the parts it did not record ' +
      '(e.g. "@pairs" from an export made before sides were recorded); see shown_order_unknown.',
    // Issue 11: an unknown order is never replaced by an invented one; these are the judgements it concerns.
    shown_order_unknown: {
      judgements: unknownOrder.judgements,
      partly_known: unknownOrder.partlyKnown,
      judgement_ids: unknownOrder.ranges,
    },
    ...input.extra,
  };
}
