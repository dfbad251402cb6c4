// Real campaigns with real judgements for the export tests: raters lease items with nextItems and
// answer with submitJudgement, so every row carries the option order that rater was shown.
import type { Answer, RaterItem } from '../../src-main/contract/types';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { BUILTIN_TEMPLATES, showPairs, showQuestions } from '../../src-main/domain/templates';
import { shownOrderJson } from '../../src-main/util/shown-order';
import type { Project } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';
import type { RaterRecord } from '../../src-main/store/raters';
import { TEST_EPOCH_MS } from '../helpers/clock';
import { conceptItems, makeConceptCampaign, makeRater } from '../helpers/factories';

/** Lets a rater answer every item they can get, choosing the answer with `answer`. */
export function rateAll(
  project: Project,
  rater: RaterRecord,
  answer: (item: RaterItem, index: number) => Answer,
  activeMs = 1500,
): number {
  let count = 0;
  for (;;) {
    const [item] = nextItems(project.db, rater, 1).items;
    if (!item) return count;
    submitJudgement(project.db, rater, {
      assignmentId: item.assignmentId,
      answer: answer(item, count),
      activeMs: activeMs + count,
    });
    count++;
  }
}

/** A concept-choice campaign, 3 raters x `items` items; answers: the shown option at a rater-specific position. */
export function ratedConceptCampaign(project: Project, items = 4) {
  const campaignId = makeConceptCampaign(project, { items, overlap: 3 });
  const raters = ['ana', 'ben', 'cai'].map((name) => makeRater(project, campaignId, name));
  raters.forEach((rater, r) =>
    rateAll(project, rater, (item) => {
      const question = item.questions[0];
      return { concept: question.type === 'choice' ? question.options[r % 2].value : '' };
    }),
  );
  return { campaignId, raters };
}

/** A feature-label campaign whose items point at features rows (with SAE and model hashes) and whose labels include a formula. */
export function ratedFeatureLabelCampaign(project: Project) {
  const db = project.db;
  const now = TEST_EPOCH_MS; // fixed, so the fixture is the same on every run
  const modelId = Number(
    db
      .prepare('INSERT INTO models (name, path, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)')
      .run('llava-next-7b', '/models/llava.onnx', 123, 'a'.repeat(64), now).lastInsertRowid,
  );
  const saeId = Number(
    db
      .prepare(
        'INSERT INTO saes (name, model_id, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        'mm-sae-l20',
        modelId,
        'saelens',
        'relu',
        20,
        'resid_post',
        4096,
        32768,
        '/saes/l20.safetensors',
        456,
        'b'.repeat(64),
        JSON.stringify({ neuronpedia_id: 'llava-next-7b/20-mm-res' }),
        now,
      ).lastInsertRowid,
  );
  const featureIds = [11, 42].map((index) =>
    Number(db.prepare('INSERT INTO features (sae_id, feature_index) VALUES (?, ?)').run(saeId, index).lastInsertRowid),
  );
  // What the mining run recorded about how it chose the examples (one run: the same for both).
  db.prepare('UPDATE features SET stats_json = ? WHERE sae_id = ?').run(
    JSON.stringify({
      corpus: 'imagenet-val',
      quantileScheme: 'equal-count',
      quantiles: 10,
      perQuantile: 4,
      sampling: 'bottom-64 hash sample per histogram bin',
    }),
    saeId,
  );
  // The corpus feature 11 was mined from: two referenced activation shards and one document.
  const corpusId = Number(
    db
      .prepare('INSERT INTO corpora (name, source_json, created_at) VALUES (?, ?, ?)')
      .run('imagenet-val', '{"model":"llava-next-7b"}', now).lastInsertRowid,
  );
  [0, 1].forEach((ordinal) =>
    db
      .prepare(
        `INSERT INTO activation_shards (corpus_id, ordinal, kind, container, path, size, sha256, dtype, shape_json, data_offset, rows)
         VALUES (?, ?, 'dense', 'raw', ?, 64, ?, 'float32', '[4, 4]', 0, 4)`,
      )
      .run(corpusId, ordinal, `/acts/shard-${ordinal}.bin`, String(ordinal + 1).repeat(64)),
  );
  const documentId = Number(
    db
      .prepare("INSERT INTO documents (corpus_id, external_id, kind, text) VALUES (?, 'doc-1', 'text', 'a dog')")
      .run(corpusId).lastInsertRowid,
  );
  db.prepare(
    "INSERT INTO examples (feature_id, document_id, bucket, rank, max_activation) VALUES (?, ?, 'top', 0, 1.5)",
  ).run(featureIds[0], documentId);
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
    featureIds.map((featureId, index) => ({
      payload: { feature: { examples: [] }, note: index === 0 ? '-starts with a minus' : 'plain' },
      hidden: { feature_id: featureId },
    })),
  );
  const labels = [
    ['=HYPERLINK("http://evil.example","click")', 'dogs, "good" ones'],
    ['@SUM(A1)', 'cats\non two lines'],
  ];
  ['ana', 'ben'].forEach((name, r) => {
    const rater = makeRater(project, campaignId, name);
    rateAll(project, rater, (_item, index) => ({
      label: labels[r][index],
      interpretability: 3 + r,
      modality: r === 0 ? 'image' : 'both',
    }));
  });
  return { campaignId, modelId, saeId, featureIds, corpusId };
}

export const conceptTemplate = BUILTIN_TEMPLATES['concept-choice'];

/**
 * A concept-choice campaign large enough for several export batches and Parquet row groups,
 * written with plain inserts (rating 60k judgements through submitJudgement would take minutes).
 * Judgements go round by round (every item's first rating, then every item's second, ...), so an
 * item's ratings are far apart and land in different batches; every seventh judgement is undone
 * and submitted again, so superseded rows sit between live ones. Items alternate between a
 * condition and none.
 */
export function bulkConceptCampaign(project: Project, options: { items: number; overlap: number; raters: number }) {
  const db = project.db;
  const items = conceptItems(options.items).map((item, index) => ({
    ...item,
    condition: index % 2 ? item.condition : undefined,
  }));
  const campaignId = insertCampaign(
    db,
    {
      name: 'Bulk concept',
      template: conceptTemplate,
      instructions: 'Pick the concept.',
      overlap: options.overlap,
      leaseSeconds: 600,
      seed: 7,
    },
    items,
  );
  const itemIds = db
    .prepare('SELECT id FROM items WHERE campaign_id = ? ORDER BY position')
    .pluck()
    .all(campaignId) as number[];
  db.transaction(() => {
    const insertRater = db.prepare(
      'INSERT INTO raters (campaign_id, name, pseudonym, token, seed, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const raters = Array.from({ length: options.raters }, (_, r) => ({
      id: Number(
        insertRater.run(campaignId, `rater ${r}`, `R${String(r + 1).padStart(3, '0')}`, `bulk-token-${r}`, 500 + r, 0)
          .lastInsertRowid,
      ),
      seed: 500 + r,
    }));
    const insertAssignment = db.prepare(
      "INSERT INTO assignments (item_id, rater_id, status, shown_json, leased_at, lease_expires_at) VALUES (?, ?, 'submitted', ?, ?, ?)",
    );
    const insertJudgement = db.prepare(
      'INSERT INTO judgements (assignment_id, action, answer_json, shown_json, shown_order, active_ms, submitted_at, supersedes_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const start = Date.UTC(2025, 2, 1);
    let count = 0;
    for (let round = 0; round < options.overlap; round++) {
      items.forEach((item, index) => {
        const rater = raters[(index + round * 7) % raters.length];
        const shownRecord = {
          questions: showQuestions(conceptTemplate, item.payload, rater.seed, itemIds[index]),
          pairs: showPairs(conceptTemplate, rater.seed, itemIds[index]),
        };
        const shown = JSON.stringify(shownRecord);
        const leasedAt = start + count * 997;
        const assignmentId = Number(
          insertAssignment.run(itemIds[index], rater.id, shown, leasedAt, leasedAt + 600_000).lastInsertRowid,
        );
        const options = (item.payload as { options: string[] }).options;
        const submit = (choice: string, supersedes: number | null) =>
          Number(
            insertJudgement.run(
              assignmentId,
              'submit',
              JSON.stringify({ concept: choice }),
              shown,
              shownOrderJson(shownRecord),
              1000 + (count % 5000),
              leasedAt + 4000,
              supersedes,
            ).lastInsertRowid,
          );
        let live = submit(options[(index + round) % 4], null);
        if (count % 7 === 0) {
          const undo = Number(
            insertJudgement.run(assignmentId, 'undo', '{}', shown, null, 0, leasedAt + 4500, live).lastInsertRowid,
          );
          live = submit(options[(index + round + 1) % 4], undo);
        }
        count++;
      });
    }
  })();
  return { campaignId };
}
