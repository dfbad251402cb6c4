import { TINY_MODEL_NAME } from '../../src-main/demo/tiny-model';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoProject } from '../../src-main/demo/create';
import { exportCampaign } from '../../src-main/export';
import { openProject, type Project } from '../../src-main/project/project';
import { tempDir } from '../helpers/factories';

// The demo project is built once: its campaigns refer to what a real study's would (generations,
// steering specs, a model, mined features).
describe('provenance references on the demo project', () => {
  let project: Project;
  let root: string;
  beforeAll(async () => {
    // Not tempDir(): that folder goes after each test, and this project serves them all.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-test-'));
    await createDemoProject(path.join(root, 'demo.sightline'));
    project = openProject(path.join(root, 'demo.sightline'));
  });
  afterAll(() => {
    project?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const provenanceOf = async (campaignName: string) => {
    const campaignId = project.db
      .prepare('SELECT id FROM campaigns WHERE name = ?')
      .pluck()
      .get(campaignName) as number;
    const result = await exportCampaign(project.db, campaignId, {
      format: 'jsonl',
      out: path.join(tempDir(), 'out.jsonl'),
    });
    return JSON.parse(fs.readFileSync(result.provenancePath, 'utf8'));
  };

  it('"Which concept?" (items name only generation_id) lists the generations\' steering specs and the model', async () => {
    const hidden = JSON.parse(
      project.db
        .prepare(
          "SELECT i.hidden_json FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = 'Which concept?' LIMIT 1",
        )
        .pluck()
        .get() as string,
    );
    expect(hidden).toHaveProperty('generation_id');
    expect(hidden).not.toHaveProperty('steering_spec_id');
    const { references } = await provenanceOf('Which concept?');
    const specIds = project.db
      .prepare(
        "SELECT DISTINCT g.steering_spec_id FROM items i JOIN campaigns c ON c.id = i.campaign_id JOIN generations g ON g.id = json_extract(i.hidden_json, '$.generation_id') WHERE c.name = 'Which concept?' ORDER BY 1",
      )
      .pluck()
      .all() as number[];
    expect(specIds.length).toBeGreaterThan(0);
    expect(references.steering_specs.map((spec: { id: number }) => spec.id)).toEqual(specIds);
    expect(references.steering_specs[0]).toMatchObject({
      layer: expect.any(Number),
      vector_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      decoding: { kind: 'greedy' },
    });
    // The rollouts come from the demo's tiny model by `sweep`, whose specs name it by name and sha256.
    expect(references.models.map((model: { name: string }) => model.name)).toEqual([TINY_MODEL_NAME]);
    expect(references.generations).toBe(project.db.prepare('SELECT COUNT(*) FROM generations').pluck().get());
  });

  it('"Label features" lists each mining run\'s sampling once, though stats_json differs per feature', async () => {
    const runs = project.db
      .prepare(
        `SELECT f.sae_id, json_extract(f.stats_json, '$.job') AS job, COUNT(DISTINCT f.stats_json) AS variants
         FROM items i JOIN campaigns c ON c.id = i.campaign_id JOIN features f ON f.id = json_extract(i.hidden_json, '$.feature_id')
         WHERE c.name = 'Label features' GROUP BY f.sae_id, job ORDER BY f.sae_id`,
      )
      .all() as { sae_id: number; job: number; variants: number }[];
    // The demo plants a concept per feature (stats_json.planted), so the texts differ within a run.
    expect(runs.some((run) => run.variants > 1)).toBe(true);
    const { references } = await provenanceOf('Label features');
    expect(references.feature_sampling.map((row: { sae_id: number; job: number }) => [row.sae_id, row.job])).toEqual(
      runs.map((run) => [run.sae_id, run.job]),
    );
    expect(references.feature_sampling[0]).toMatchObject({
      scheme: expect.any(String),
      quantiles: expect.any(Number),
      perQuantile: expect.any(Number),
    });
    expect(references.feature_sampling[0]).not.toHaveProperty('planted');
  });
});
