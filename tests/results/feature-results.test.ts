// Feature-label campaigns: label coverage, score distribution and modality votes against the mined split.
import { describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { formatResults } from '../../src-main/results/format-table';
import { campaignResults } from '../../src-main/results/report';
import type { Project } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';
import { makeProject, makeRater } from '../helpers/factories';

const insertSae = (db: Project['db']): number =>
  Number(
    db
      .prepare(
        'INSERT INTO saes (name, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run('sae', 'saelens', 'relu', 20, 'resid_post', 8, 32, '/x', 1, 'c'.repeat(64), '{}', 0).lastInsertRowid,
  );

function featureLabelCampaign() {
  const project = makeProject();
  const db = project.db;
  const saeId = insertSae(db);
  // Three features mined as image, shared and text; a fourth is never rated.
  const mined = ['image', 'shared', 'text', 'dead'];
  const featureIds = mined.map((modality, index) =>
    Number(
      db
        .prepare('INSERT INTO features (sae_id, feature_index, modality) VALUES (?, ?, ?)')
        .run(saeId, 100 + index, modality).lastInsertRowid,
    ),
  );
  const campaignId = insertCampaign(
    db,
    {
      name: 'labels',
      template: BUILTIN_TEMPLATES['feature-label'],
      instructions: 'Label it.',
      overlap: 3,
      leaseSeconds: 600,
      seed: 5,
    },
    featureIds.map((featureId) => ({ payload: { feature: { examples: [] } }, hidden: { feature_id: featureId } })),
  );
  // answers[rater][feature index]: label, score, modality (undefined: the rater skips the rest)
  const answers: ([string, number, string] | null)[][] = [
    [['Dogs ', 5, 'image'], ['red things', 4, 'both'], ['the word "the"', 2, 'text'], null],
    [['dogs', 4, 'image'], ['red objects', 3, 'image'], ['determiners', 1, 'neither'], null],
    [['cats', 5, 'text'], ['RED THINGS', 4, 'both'], ['articles', 2, 'text'], null],
  ];
  answers.forEach((row, r) => {
    const rater = makeRater(project, campaignId, `rater ${r}`);
    // Leases all four at once (raters see items in their own order); the unrated feature is left leased.
    for (const item of nextItems(db, rater, 4).items) {
      const position = db
        .prepare('SELECT i.position FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
        .pluck()
        .get(item.assignmentId) as number;
      const answer = row[position];
      if (!answer) continue;
      submitJudgement(db, rater, {
        assignmentId: item.assignmentId,
        answer: { label: answer[0], interpretability: answer[1], modality: answer[2], confidence: null },
        activeMs: 3000,
      });
    }
  });
  return { project, campaignId, featureIds };
}

describe('feature results', () => {
  it('counts label coverage, the score distribution and modality votes against the mined modality', () => {
    const { project, campaignId, featureIds } = featureLabelCampaign();
    const results = campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } });
    const features = results.features!;
    expect(features.coverage).toEqual({ features: 4, withLabel: 3, withMajorityLabel: 2 });
    // Feature 0: "dogs" twice of three (trimmed, lower-cased); feature 1: "red things" twice; feature 2: all different.
    expect(features.features.map((row) => row.majorityLabel)).toEqual(['dogs', 'red things', null, null]);
    expect(features.features.map((row) => row.labels)).toEqual([3, 3, 3, 0]);
    expect(features.features[0]).toMatchObject({
      featureId: featureIds[0],
      featureIndex: 100,
      minedModality: 'image',
      majorityModality: 'image',
      meanScore: 14 / 3,
    });
    expect(features.scoreDistribution).toMatchObject({
      questionId: 'interpretability',
      counts: [
        { score: 1, count: 1 },
        { score: 2, count: 2 },
        { score: 3, count: 1 },
        { score: 4, count: 3 },
        { score: 5, count: 2 },
      ],
      ratings: 9,
      median: 4,
    });
    expect(features.scoreDistribution!.mean).toBeCloseTo(30 / 9);
    const modality = features.modality!;
    expect(modality.votes).toEqual(['image', 'text', 'both', 'neither']);
    expect(modality.mined).toEqual(['image', 'text', 'shared', 'dead']);
    // rows: mined image (feature 0), text (feature 2), shared (feature 1), dead (unrated)
    expect(modality.counts).toEqual([
      [2, 1, 0, 0],
      [0, 2, 0, 1],
      [1, 0, 2, 0],
      [0, 0, 0, 0],
    ]);
    // Majorities: image = image, both -> shared = shared, text = text: 3 of 3.
    expect(modality).toMatchObject({ featuresCompared: 3, majorityMatchesMined: 1 });
    const text = formatResults(results);
    expect(text).toContain('Features: 3 of 4 labelled (at least one label), 2 with a majority label');
    expect(text).toMatch(/mined\s+image\s+text\s+both\s+neither/);
  });

  it('is null for campaigns that do not label features', async () => {
    const project = makeProject();
    const { ratedConceptCampaign } = await import('../export/fixtures');
    const { campaignId } = ratedConceptCampaign(project, 2);
    expect(campaignResults(project.db, campaignId, { bootstrap: { replicates: 10 } }).features).toBeNull();
  });

  it('reports a feature-label campaign nobody has rated yet (coverage 0, no distribution) instead of failing', () => {
    const project = makeProject();
    const featureId = Number(
      project.db.prepare('INSERT INTO features (sae_id, feature_index) VALUES (?, 1)').run(insertSae(project.db))
        .lastInsertRowid,
    );
    const campaignId = insertCampaign(
      project.db,
      {
        name: 'unrated',
        template: BUILTIN_TEMPLATES['feature-label'],
        instructions: 'Label it.',
        overlap: 2,
        leaseSeconds: 600,
        seed: 1,
      },
      [{ payload: { feature: { examples: [] } }, hidden: { feature_id: featureId } }],
    );
    const features = campaignResults(project.db, campaignId, { bootstrap: { replicates: 10 } }).features!;
    expect(features.coverage).toEqual({ features: 1, withLabel: 0, withMajorityLabel: 0 });
    expect(features.features[0]).toMatchObject({ labels: 0, majorityLabel: null, majorityModality: null });
  });
});
