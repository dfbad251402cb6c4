// Real campaigns with real judgements for the export tests: raters lease items with nextItems and
// answer with submitJudgement, so every row carries the option order that rater was shown.
import type { Answer, RaterItem } from '../../src-main/contract/types';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import type { Project } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';
import type { RaterRecord } from '../../src-main/store/raters';
import { makeConceptCampaign, makeRater } from '../helpers/factories';

/** Lets a rater answer every item they can get, choosing the answer with `answer`. */
export function rateAll(project: Project, rater: RaterRecord, answer: (item: RaterItem, index: number) => Answer, activeMs = 1500): number {
  let count = 0;
  for (;;) {
    const [item] = nextItems(project.db, rater, 1).items;
    if (!item) return count;
    submitJudgement(project.db, rater, { assignmentId: item.assignmentId, answer: answer(item, count), activeMs: activeMs + count });
    count++;
  }
}

/** A concept-choice campaign, 3 raters x `items` items; answers: the shown option at a rater-specific position. */
export function ratedConceptCampaign(project: Project, items = 4) {
  const campaignId = makeConceptCampaign(project, { items, overlap: 3 });
  const raters = ['ana', 'ben', 'cai'].map((name) => makeRater(project, campaignId, name));
  raters.forEach((rater, r) => rateAll(project, rater, (item) => { const question = item.questions[0]; return { concept: question.type === 'choice' ? question.options[r % 2].value : '' }; }));
  return { campaignId, raters };
}

/** A feature-label campaign whose items point at features rows (with SAE and model hashes) and whose labels include a formula. */
export function ratedFeatureLabelCampaign(project: Project) {
  const db = project.db;
  const now = Date.now();
  const modelId = Number(
    db.prepare('INSERT INTO models (name, path, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)').run('llava-next-7b', '/models/llava.onnx', 123, 'a'.repeat(64), now).lastInsertRowid,
  );
  const saeId = Number(
    db
      .prepare('INSERT INTO saes (name, model_id, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('mm-sae-l20', modelId, 'saelens', 'relu', 20, 'resid_post', 4096, 32768, '/saes/l20.safetensors', 456, 'b'.repeat(64), JSON.stringify({ neuronpedia_id: 'llava-next-7b/20-mm-res' }), now).lastInsertRowid,
  );
  const featureIds = [11, 42].map((index) => Number(db.prepare('INSERT INTO features (sae_id, feature_index) VALUES (?, ?)').run(saeId, index).lastInsertRowid));
  // What the mining run recorded about how it chose the examples (one run: the same for both).
  db.prepare('UPDATE features SET stats_json = ? WHERE sae_id = ?').run(
    JSON.stringify({ corpus: 'imagenet-val', quantileScheme: 'equal-count', quantiles: 10, perQuantile: 4, sampling: 'bottom-64 hash sample per histogram bin' }),
    saeId,
  );
  // The corpus feature 11 was mined from: two referenced activation shards and one document.
  const corpusId = Number(db.prepare('INSERT INTO corpora (name, source_json, created_at) VALUES (?, ?, ?)').run('imagenet-val', '{"model":"llava-next-7b"}', now).lastInsertRowid);
  [0, 1].forEach((ordinal) =>
    db
      .prepare(
        `INSERT INTO activation_shards (corpus_id, ordinal, kind, container, path, size, sha256, dtype, shape_json, data_offset, rows)
         VALUES (?, ?, 'dense', 'raw', ?, 64, ?, 'float32', '[4, 4]', 0, 4)`,
      )
      .run(corpusId, ordinal, `/acts/shard-${ordinal}.bin`, String(ordinal + 1).repeat(64)),
  );
  const documentId = Number(db.prepare("INSERT INTO documents (corpus_id, external_id, kind, text) VALUES (?, 'doc-1', 'text', 'a dog')").run(corpusId).lastInsertRowid);
  db.prepare("INSERT INTO examples (feature_id, document_id, bucket, rank, max_activation) VALUES (?, ?, 'top', 0, 1.5)").run(featureIds[0], documentId);
  const campaignId = insertCampaign(
    db,
    {
      name: 'Label features',
      template: BUILTIN_TEMPLATES['feature-label'],
      instructions: 'Describe what the feature responds to.',
      overlap: 2,
      leaseSeconds: 600,
      seed: 11,
      settings: { sampling: { scheme: 'quantile buckets', buckets: 10 } },
    },
    featureIds.map((featureId, index) => ({ payload: { feature: { examples: [] }, note: index === 0 ? '-starts with a minus' : 'plain' }, hidden: { feature_id: featureId } })),
  );
  const labels = [['=HYPERLINK("http://evil.example","click")', 'dogs, "good" ones'], ['@SUM(A1)', 'cats\non two lines']];
  ['ana', 'ben'].forEach((name, r) => {
    const rater = makeRater(project, campaignId, name);
    rateAll(project, rater, (_item, index) => ({ label: labels[r][index], interpretability: 3 + r, modality: r === 0 ? 'image' : 'both' }));
  });
  return { campaignId, modelId, saeId, featureIds, corpusId };
}

export const conceptTemplate = BUILTIN_TEMPLATES['concept-choice'];
