// Writes one mining run: every feature row of the SAE (dead ones too) and the chosen examples with
// their activation arrays, inside one transaction that spans the example re-encoding. A crash or a
// cancel before COMMIT leaves the previous results (or none) exactly as they were.
import type { SaeRecord } from '../importers/sae-import';
import type { JobContext } from '../jobs/runner';
import type { Project } from '../project/project';
import { HIST_BINS, RESERVOIR, type FeatureAccumulators } from './accumulators';
import type { ExampleActivations, WantedExample } from './example-acts';
import { chooseExamples, histogramOf, modalityOf, type SelectSettings } from './select';

export type ExampleTag = { bucket: string; rank: number };

/**
 * Fills the activation arrays of the chosen examples: re-encoding them (dense corpora,
 * computeExampleActivations) or reading them from the cache (delphi corpora).
 */
export type FillExamples = (
  wanted: Map<number, WantedExample<ExampleTag>[]>,
  emit: (e: ExampleActivations<ExampleTag>) => void,
  checkCancelled: () => void,
) => Promise<void>;

export async function writeMiningResults(
  project: Project,
  sae: SaeRecord,
  corpusName: string,
  acc: FeatureAccumulators,
  settings: SelectSettings,
  job: JobContext<unknown>,
  run: { provider: string; k: number | null; source?: string },
  fillExamples: FillExamples,
): Promise<{ examples: number; alive: number }> {
  const db = project.db;
  const wanted = new Map<number, WantedExample<ExampleTag>[]>();
  let alive = 0;
  for (let f = 0; f < sae.dSae; f++) {
    if (acc.fires[f] > 0) alive++;
    for (const e of chooseExamples(acc, f, settings)) {
      const list = wanted.get(e.doc);
      const example = { feature: f, tag: { bucket: e.bucket, rank: e.rank } };
      if (list) list.push(example);
      else wanted.set(e.doc, [example]);
    }
  }
  const stats = JSON.stringify({
    corpus: corpusName,
    job: job.id,
    quantileScheme: settings.scheme,
    quantiles: settings.quantiles,
    perQuantile: settings.perQuantile,
    modalityShare: settings.modalityShare,
    histogram: `${HIST_BINS} equal-width bins, power-of-two width`,
    sampling: `bottom-${RESERVOIR} hash sample per histogram bin`,
    k: run.k,
    provider: run.provider,
    ...(run.source ? { source: run.source } : {}),
  });

  db.exec('BEGIN IMMEDIATE');
  try {
    db.prepare('DELETE FROM examples WHERE feature_id IN (SELECT id FROM features WHERE sae_id = ?)').run(sae.id);
    db.prepare('DELETE FROM features WHERE sae_id = ?').run(sae.id);
    const insertFeature = db.prepare(
      `INSERT INTO features (sae_id, feature_index, fire_count, token_count, density, max_activation, image_count, text_count, modality, histogram_json, stats_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const featureIds = new Int32Array(sae.dSae);
    for (let f = 0; f < sae.dSae; f++) {
      const fires = acc.fires[f];
      featureIds[f] = Number(
        insertFeature.run(
          sae.id,
          f,
          fires,
          acc.tokens,
          acc.tokens > 0 ? fires / acc.tokens : 0,
          acc.max[f],
          acc.imageFires[f],
          acc.textFires[f],
          modalityOf(acc.imageFires[f], acc.textFires[f], settings.modalityShare),
          JSON.stringify(histogramOf(acc, f)),
          stats,
        ).lastInsertRowid,
      );
    }
    const insertExample = db.prepare(
      `INSERT INTO examples (feature_id, document_id, bucket, rank, max_activation, token_acts_json, patch_acts_json, patch_rows, patch_cols)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let examples = 0;
    await fillExamples(
      wanted,
      (e) => {
        insertExample.run(featureIds[e.feature], e.doc, e.tag.bucket, e.tag.rank, e.max, e.tokenActsJson, e.patchActsJson, e.patchRows, e.patchCols);
        examples++;
      },
      () => job.throwIfCancelled(),
    );
    db.exec('COMMIT');
    return { examples, alive };
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
