// One test per migration (from 0002 on): a database at version N−1 holding the rows an older
// Sightline wrote, migrated to N, then read through today's store functions. A migration that
// loses, rewrites or misreads old rows fails here even when a fresh database looks right.
// Add a block for every new migration.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { archiveCampaignRow, getCampaign, listCampaigns } from '../../src-main/store/campaigns';
import { getCorpus, insertShard } from '../../src-main/store/corpora';
import { loadMigrations, migrate, schemaVersion, type Db } from '../../src-main/store/db';
import { findResumableJob, getJob } from '../../src-main/store/jobs';
import { lastLiveSubmission, unknownOrderJudgements } from '../../src-main/store/judgements';
import { listRatersForProvenance, raterCompletion, recordCompletionShown } from '../../src-main/store/raters';
import { listGenerations } from '../../src-main/store/steering';
import { findVectorByName, insertVector, listVectors } from '../../src-main/store/vectors';
import { acceptFeatureLabel, acceptedFeatureLabels } from '../../src-main/store/feature-labels';
import { getProbeRun, insertProbeRun, listProbeRuns } from '../../src-main/store/probe-runs';
import { tempDir } from '../helpers/factories';

/** A project database at schema `version`, as a Sightline of that version left it. */
function databaseAt(version: number): { db: Db; dir: string } {
  const dir = tempDir();
  const db = new Database(path.join(dir, 'project.sqlite'));
  db.pragma('foreign_keys = ON');
  migrate(db, loadMigrations().slice(0, version));
  expect(schemaVersion(db)).toBe(version);
  return { db, dir };
}

function migrateTo(db: Db, version: number): void {
  expect(migrate(db, loadMigrations().slice(0, version))).toBe(version);
}

/** A campaign with one item and one rater, in the columns every version since 0001 has. */
function insertCampaignWithRater(db: Db): { campaignId: number; itemId: number; raterId: number } {
  const campaignId = Number(
    db
      .prepare(
        `INSERT INTO campaigns (name, template_id, template_json, overlap, lease_seconds, seed, created_at) VALUES ('old', 'concept', '{}', 1, 600, 7, 1000)`,
      )
      .run().lastInsertRowid,
  );
  const itemId = Number(
    db.prepare(`INSERT INTO items (campaign_id, position, payload_json) VALUES (?, 0, '{}')`).run(campaignId)
      .lastInsertRowid,
  );
  const raterId = Number(
    db
      .prepare(
        `INSERT INTO raters (campaign_id, name, pseudonym, token, seed, created_at) VALUES (?, 'ana', 'R001', 'token-ana', 11, 1000)`,
      )
      .run(campaignId).lastInsertRowid,
  );
  return { campaignId, itemId, raterId };
}

describe('migration steps: rows an older version wrote, read after migrating', () => {
  it('0002 activation_shards and jobs.owner_pid: an old running job with a checkpoint is resumable, an old corpus takes shards', () => {
    const { db, dir } = databaseAt(1);
    const params = '{"corpus":1,"sae":1}';
    const jobId = Number(
      db
        .prepare(
          `INSERT INTO jobs (kind, state, params_json, progress_done, checkpoint_json, created_at, updated_at) VALUES ('mine', 'running', ?, 40, '{"next":40}', 1000, 2000)`,
        )
        .run(params).lastInsertRowid,
    );
    db.prepare(
      `INSERT INTO corpora (name, source_json, created_at) VALUES ('old-corpus', '{"model":"m"}', 1000)`,
    ).run();

    migrateTo(db, 2);

    // No owner recorded before 0002: the job belongs to no live process, so a new run resumes it.
    expect(getJob(db, jobId)).toMatchObject({
      id: jobId,
      state: 'running',
      ownerPid: null,
      progressDone: 40,
      checkpoint: { next: 40 },
      params: { corpus: 1, sae: 1 },
    });
    expect(findResumableJob(db, 'mine', { sae: 1, corpus: 1 })?.id).toBe(jobId);
    const corpus = getCorpus({ db, dir }, 'old-corpus');
    expect(corpus).toMatchObject({ name: 'old-corpus', source: { model: 'm' }, shards: [] });
    insertShard({ db, dir }, corpus.id, {
      ordinal: 0,
      kind: 'dense',
      container: 'safetensors',
      path: path.join(dir, 'shard-0.safetensors'),
      size: 64,
      sha256: 'ab'.repeat(32),
      dtype: 'F32',
      shape: [4, 4],
      dataOffset: 8,
      rows: 4,
      layout: { segments: [] },
    });
    expect(getCorpus({ db, dir }, 'old-corpus').shards).toMatchObject([
      { ordinal: 0, path: path.join(dir, 'shard-0.safetensors'), shape: [4, 4], rows: 4 },
    ]);
    db.close();
  });

  it('0003 judgements.shown_order: a judgement written before it keeps its row, stays append-only and is not taken for an import of unknown order', () => {
    const { db } = databaseAt(2);
    const { campaignId, itemId, raterId } = insertCampaignWithRater(db);
    const assignmentId = Number(
      db
        .prepare(
          `INSERT INTO assignments (item_id, rater_id, status, shown_json, leased_at, lease_expires_at) VALUES (?, ?, 'submitted', '{"order":[1,0]}', 1000, 2000)`,
        )
        .run(itemId, raterId).lastInsertRowid,
    );
    const judgementId = Number(
      db
        .prepare(
          `INSERT INTO judgements (assignment_id, action, answer_json, shown_json, active_ms, submitted_at) VALUES (?, 'submit', '{"q":"a"}', '{"order":[1,0]}', 900, 1500)`,
        )
        .run(assignmentId).lastInsertRowid,
    );

    migrateTo(db, 3);

    expect(db.prepare('SELECT shown_order FROM judgements WHERE id = ?').pluck().get(judgementId)).toBeNull();
    expect(lastLiveSubmission(db, raterId)).toEqual({
      id: judgementId,
      assignmentId,
      shownJson: '{"order":[1,0]}',
      answer: { q: 'a' },
    });
    expect(unknownOrderJudgements(db, campaignId)).toEqual({ judgements: 0, partlyKnown: 0, ranges: [] });
    expect(() => db.prepare('UPDATE judgements SET active_ms = 1 WHERE id = ?').run(judgementId)).toThrow(
      /append-only/,
    );
    db.close();
  });

  it('0004 raters.completion_*: a rater registered before it has no completion yet, records the first one, and the column refuses other outcomes', () => {
    const { db } = databaseAt(3);
    const { campaignId, raterId } = insertCampaignWithRater(db);

    migrateTo(db, 4);

    expect(raterCompletion(db, raterId)).toBeNull();
    expect(listRatersForProvenance(db, campaignId)).toEqual([
      { pseudonym: 'R001', name: 'ana', seed: 11, status: 'active', completion: null },
    ]);
    expect(recordCompletionShown(db, raterId, 'screened-out', 5000)).toEqual({
      outcome: 'screened-out',
      shownAt: 5000,
    });
    expect(recordCompletionShown(db, raterId, 'completed', 6000)).toEqual({ outcome: 'screened-out', shownAt: 5000 });
    expect(() => db.prepare("UPDATE raters SET completion_outcome = 'paid' WHERE id = ?").run(raterId)).toThrow(
      /CHECK constraint/,
    );
    db.close();
  });

  it('0005 vectors: older generations stay as they were, a vector round-trips through the store, and stored values must be d_model floats', () => {
    const { db } = databaseAt(4);
    db.prepare(
      `INSERT INTO generations (prompt, output_text, meta_json, created_at) VALUES ('What is shown?', 'a goldfish', '{"k":5}', 1000)`,
    ).run();

    migrateTo(db, 5);

    expect(listGenerations(db, null)).toMatchObject([
      { prompt: 'What is shown?', output_text: 'a goldfish', meta_json: '{"k":5}' },
    ]);
    expect(listVectors(db)).toEqual([]);
    const values = Float32Array.from([0.5, -1.25, 3]);
    const source = { kind: 'sae' as const, sae: 'layer20', saeSha256: null, feature: 7 };
    insertVector(db, { name: 'layer20/7', dModel: 3, sha256: 'f'.repeat(64), source, values, createdAt: 2000 });
    expect(findVectorByName(db, 'layer20/7')).toMatchObject({ dModel: 3, source, values, createdAt: 2000 });
    expect(() =>
      db
        .prepare(
          "INSERT INTO vectors (name, d_model, sha256, source_json, values_f32, created_at) VALUES ('x', 4, '', '{}', zeroblob(12), 0)",
        )
        .run(),
    ).toThrow(/CHECK constraint/);
    db.close();
  });

  it('campaign_archive: campaigns from before it are live and listed; archiving one hides it, frees its name and closes it', () => {
    // Found by name: the lead may renumber this migration when branches merge.
    const version = loadMigrations().findIndex((migration) => migration.name === 'campaign_archive') + 1;
    const { db } = databaseAt(version - 1);
    const { campaignId } = insertCampaignWithRater(db);

    migrateTo(db, version);

    expect(getCampaign(db, campaignId).archivedAt).toBeNull();
    expect(listCampaigns(db).map((campaign) => campaign.name)).toEqual(['old']);
    archiveCampaignRow(db, campaignId, 'old (archived #1)', 9000);
    expect(listCampaigns(db)).toEqual([]);
    expect(
      listCampaigns(db, { includeArchived: true }).map((campaign) => [
        campaign.name,
        campaign.status,
        campaign.archivedAt,
      ]),
    ).toEqual([['old (archived #1)', 'closed', 9000]]);
    db.close();
  });

  it('feature_labels: a label set before it stays the feature label with no acceptance; accepting keeps every acceptance', () => {
    // Found by name: the lead renumbered this migration when branches merged.
    const version = loadMigrations().findIndex((migration) => migration.name === 'feature_labels') + 1;
    const { db } = databaseAt(version - 1);
    db.prepare(
      `INSERT INTO saes (name, format, architecture, d_in, d_sae, created_at) VALUES ('layer20', 'saelens', 'relu', 4, 8, 1000)`,
    ).run();
    const featureId = Number(
      db.prepare(`INSERT INTO features (sae_id, feature_index, label) VALUES (1, 3, 'dogs')`).run().lastInsertRowid,
    );

    migrateTo(db, version);

    expect(db.prepare('SELECT label FROM features WHERE id = ?').pluck().get(featureId)).toBe('dogs');
    expect(acceptedFeatureLabels(db, [featureId])).toEqual(new Map());
    acceptFeatureLabel(db, {
      featureId,
      label: 'golden retrievers',
      acceptedBy: 'ana',
      acceptedAt: 5000,
      campaignId: null,
    });
    acceptFeatureLabel(db, { featureId, label: 'retrievers', acceptedBy: 'ben', acceptedAt: 6000, campaignId: null });
    expect(acceptedFeatureLabels(db, [featureId]).get(featureId)).toEqual({
      featureId,
      label: 'retrievers',
      acceptedBy: 'ben',
      acceptedAt: 6000,
      campaignId: null,
    });
    expect(db.prepare('SELECT label FROM features WHERE id = ?').pluck().get(featureId)).toBe('retrievers');
    expect(db.prepare('SELECT COUNT(*) FROM feature_label_acceptances').pluck().get()).toBe(2);
    db.close();
  });

  it('probe_runs: jobs from before it keep their rows; a probe run is stored, listed and read back whole', () => {
    // Found by name: the integrator may renumber this migration when branches merge.
    const version = loadMigrations().findIndex((migration) => migration.name === 'probe_runs') + 1;
    const { db } = databaseAt(version - 1);
    const jobId = Number(
      db
        .prepare(
          `INSERT INTO jobs (kind, state, params_json, created_at, updated_at) VALUES ('probe', 'done', '{"corpora":["c"]}', 1000, 2000)`,
        )
        .run().lastInsertRowid,
    );

    migrateTo(db, version);

    expect(getJob(db, jobId)).toMatchObject({ id: jobId, kind: 'probe', state: 'done' });
    expect(listProbeRuns(db)).toEqual([]);
    const layer = {
      corpus: 'c',
      layer: 5,
      documents: 4,
      unlabelled: 0,
      pooled: 'image' as const,
      classes: [
        { name: 'cat', documents: 2 },
        { name: 'dog', documents: 2 },
      ],
      pairs: [],
      logistic: {
        train: 2,
        validation: 2,
        trainAccuracy: 1,
        validationAccuracy: 0.5,
        chance: 0.5,
        loss: 0.1,
        iterations: 3,
      },
    };
    const run = {
      jobId,
      state: 'done' as const,
      name: null,
      createdAt: 3000,
      labels: 'folder names',
      validation: 0.5,
      seed: 0,
      l2: 0.01,
      layers: [layer],
      vectors: [],
    };
    const runId = insertProbeRun(db, run);
    expect(getProbeRun(db, runId)).toEqual({ ...run, runId });
    expect(listProbeRuns(db)).toEqual([
      {
        runId,
        jobId,
        name: null,
        createdAt: 3000,
        corpora: ['c'],
        labels: 'folder names',
        classes: ['cat', 'dog'],
        layers: [{ corpus: 'c', layer: 5, validationAccuracy: 0.5, chance: 0.5 }],
        vectors: 0,
      },
    ]);
    db.close();
  });
});
