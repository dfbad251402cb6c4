// features.modalityByLayer: per SAE the image-only / text-only / shared / dead counts and the
// shared fraction of alive features, the quantity behind "sharing grows with depth".
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { ModalityLayerRow, Modality } from '../../src-main/contract';
import type { Db } from '../../src-main/store/db';
import { contextFor, makeProject, researcher } from '../helpers/factories';

function addSae(
  db: Db,
  name: string,
  layer: number | null,
  modelId: number | null,
  split: Partial<Record<Modality, number>>,
): number {
  const dSae = Object.values(split).reduce((a, b) => a + b, 0);
  const saeId = Number(
    db
      .prepare(
        "INSERT INTO saes (name, model_id, format, architecture, layer, d_in, d_sae, created_at) VALUES (?, ?, 'saelens', 'relu', ?, 8, ?, 0)",
      )
      .run(name, modelId, layer, Math.max(dSae, 1)).lastInsertRowid,
  );
  const insert = db.prepare('INSERT INTO features (sae_id, feature_index, modality, stats_json) VALUES (?, ?, ?, ?)');
  let index = 0;
  for (const [modality, count] of Object.entries(split)) {
    for (let i = 0; i < count; i++)
      insert.run(saeId, index++, modality, JSON.stringify({ modalityShare: 0.9, quantileScheme: 'equal-count' }));
  }
  return saeId;
}

describe('features.modalityByLayer', () => {
  it('counts each modality per SAE, orders by model and layer, and gives shared / alive', async () => {
    const project = makeProject();
    const db = project.db;
    const modelId = Number(
      db.prepare("INSERT INTO models (name, created_at) VALUES ('llava-next-7b', 0)").run().lastInsertRowid,
    );
    // Inserted out of order: the answer is sorted by layer.
    addSae(db, 'L20', 20, modelId, { image: 2, text: 2, shared: 6, dead: 5 });
    addSae(db, 'L5', 5, modelId, { image: 6, text: 3, shared: 1, dead: 2 });
    addSae(db, 'L10', 10, modelId, { image: 4, text: 4, shared: 2 });
    addSae(db, 'all-dead', 15, modelId, { dead: 3 });
    db.prepare(
      "INSERT INTO saes (name, model_id, format, architecture, layer, d_in, d_sae, created_at) VALUES ('unmined', NULL, 'saelens', 'relu', 7, 8, 32, 0)",
    ).run();

    const result = await dispatch('features.modalityByLayer', {}, contextFor(project, researcher));
    expect(result.ok).toBe(true);
    const rows = (result as { ok: true; value: ModalityLayerRow[] }).value;
    const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
    expect(rows.filter((row) => row.model === 'llava-next-7b').map((row) => row.layer)).toEqual([5, 10, 15, 20]);
    expect(byName.L5).toMatchObject({
      layer: 5,
      dSae: 12,
      mined: 12,
      image: 6,
      text: 3,
      shared: 1,
      dead: 2,
      modalityShare: 0.9,
    });
    expect(byName.L5.sharedFraction).toBeCloseTo(1 / 10, 12);
    expect(byName.L10.sharedFraction).toBeCloseTo(2 / 10, 12);
    expect(byName.L20.sharedFraction).toBeCloseTo(6 / 10, 12);
    expect(byName['all-dead']).toMatchObject({ dead: 3, sharedFraction: null });
    expect(byName.unmined).toMatchObject({
      model: null,
      mined: 0,
      image: 0,
      text: 0,
      shared: 0,
      dead: 0,
      sharedFraction: null,
      modalityShare: null,
      dSae: 32,
    });
  });

  it('rejects unexpected input', async () => {
    const project = makeProject();
    await expect(
      dispatch('features.modalityByLayer', { saeId: 1 }, contextFor(project, researcher)),
    ).resolves.toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});
