// The provenance manifest every export carries (issue 5): which Sightline and schema wrote it, the
// campaign's settings and seeds, counts, the hashes of the models / SAEs / corpora / steering
// vectors the campaign refers to, and where in each row the rater's view is recorded.
import crypto from 'node:crypto';
import type { OutputFileRecord } from '../contract/results';
import fs from 'node:fs';
import path from 'node:path';
import { schemaVersion, parseJson, type Db } from '../store/db';
import {
  campaignProvenanceCounts,
  corporaByIds,
  corpusShards,
  featureRunStats,
  generationReferences,
  hiddenReferenceValues,
  itemCountsByKind,
  minedCorpusIds,
  modelsByIds,
  saeIdsOfFeatures,
  saesByIds,
  steeringSpecModelIds,
  steeringSpecsByIds,
} from '../store/export-references';
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

export type { OutputFileRecord } from '../contract/results';

/**
 * Ids the campaign refers to, in its settings or its items' hidden fields (snake_case or camelCase,
 * one id or a list): one json_each pass over the items for every name at once.
 */
function referencedIdSets(
  db: Db,
  campaignId: number,
  settings: Record<string, unknown>,
  groups: Record<string, string[]>,
): Record<string, number[]> {
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
  for (const row of hiddenReferenceValues(db, campaignId, names)) add(row.key, row.value);
  return Object.fromEntries(
    Object.entries(groups).map(([group, groupNames]) => [
      group,
      [...new Set(groupNames.flatMap((name) => [...found.get(name)!]))].sort((a, b) => a - b),
    ]),
  );
}

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
  const shards = corpusShards(db, corpusId).map((shard) => ({
    ...shard,
    path: resolveStoredPath(projectDirOf(db), shard.path),
  }));
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
    for (const row of generationReferences(db, referenced.generations)) {
      if (row.steering_spec_id !== null) specIds.add(row.steering_spec_id);
      if (typeof row.model_id === 'number' && Number.isInteger(row.model_id)) modelIds.add(row.model_id);
    }
  }
  const specList = [...specIds].sort((a, b) => a - b);
  const featureIds = referenced.features;
  const saeIds = new Set(referenced.saes);
  saeIdsOfFeatures(db, featureIds).forEach((id) => saeIds.add(id));
  const saes = saesByIds(
    db,
    [...saeIds].sort((a, b) => a - b),
  );
  for (const sae of saes) if (typeof sae.model_id === 'number') modelIds.add(sae.model_id);
  for (const id of steeringSpecModelIds(db, specList))
    if (typeof id === 'number' && Number.isInteger(id)) modelIds.add(id);
  const models = modelsByIds(
    db,
    [...modelIds].sort((a, b) => a - b),
  );
  // The corpora the features were mined from (their examples' documents), besides any named directly.
  const corpusIds = new Set(referenced.corpora);
  minedCorpusIds(db, featureIds).forEach((id) => corpusIds.add(id));
  const corpora = corporaByIds(
    db,
    [...corpusIds].sort((a, b) => a - b),
  ).map((corpus) => ({ ...corpus, ...corpusHashes(db, corpus.id as number) }));
  const steeringSpecs = steeringSpecsByIds(db, specList);
  // How the shown examples were chosen: each mining run's scheme (features.stats_json), once per SAE and
  // run. stats_json also holds per-feature fields (the demo's planted concept, for one), so DISTINCT
  // over the whole text would repeat a run once per feature: rows are keyed on the run's fields only.
  const featureSampling: Record<string, unknown>[] = [];
  if (featureIds.length) {
    const seen = new Set<string>();
    for (const row of featureRunStats(db, featureIds)) {
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
    Object.fromEntries(
      Object.entries(row).map(([key, value]) =>
        key.endsWith('_json') ? [key.slice(0, -5), parseJson(value as string, key)] : [key, value],
      ),
    );
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
  const resolve = (stored: unknown) =>
    typeof stored === 'string' ? resolveStoredPath(projectDirOf(db), stored) : stored;
  const config = sae.config as { files?: { path?: unknown }[] } | null;
  const files = Array.isArray(config?.files)
    ? config.files.map((file) => ({ ...file, path: resolve(file.path) }))
    : undefined;
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
  const itemsByKind = Object.fromEntries(itemCountsByKind(db, campaign.id).map((row) => [row.kind, row.n]));
  const counts = campaignProvenanceCounts(db, campaign.id);
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
      template: {
        id: campaign.template.id,
        version: campaign.template.version,
        title: campaign.template.title,
        sha256: sha256Text(JSON.stringify(campaign.template)),
      },
      questions: campaign.template.questions,
      instructions: {
        version: campaign.instructionsVersion,
        sha256: sha256Text(campaign.instructions),
        text: campaign.instructions,
      },
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
        completion: rater.completion && {
          outcome: rater.completion.outcome,
          shown_at: new Date(rater.completion.shownAt).toISOString(),
        },
      })),
    },
    references: references(db, source),
    what_raters_saw:
      'Every row carries `shown_order`: the option values of each choice question in the order this rater saw them (and, for pair ' +
      'displays, "@pairs": the fields left to right). With `payload` (what the rater was shown) and `campaign.questions` and ' +
      "`campaign.instructions` above, that is the rater's screen; exports made with fullShown (CLI --full-shown) also carry `shown`, " +
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
