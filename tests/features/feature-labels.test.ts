// features.labels: the campaign builder lists a selection's labels ("unlabelled" where none) and warns
// before a detection campaign over unlabelled features (issue 15).
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { contextFor, makeProject, researcher } from '../helpers/factories';

describe('features.labels', () => {
  it('gives each listed feature its index and label (null when none), skipping ids that name none', async () => {
    const project = makeProject();
    const db = project.db;
    const saeId = Number(
      db
        .prepare(
          "INSERT INTO saes (name, format, architecture, layer, d_in, d_sae, created_at) VALUES ('L20', 'saelens', 'relu', 20, 8, 64, 0)",
        )
        .run().lastInsertRowid,
    );
    const insert = db.prepare('INSERT INTO features (sae_id, feature_index, label) VALUES (?, ?, ?)');
    const ids = [
      [3, 'red objects'],
      [17, null],
      [42, 'plural nouns'],
    ].map(([index, label]) => Number(insert.run(saeId, index, label).lastInsertRowid));

    const result = await dispatch(
      'features.labels',
      { featureIds: [ids[2], 999_999, ids[1], ids[0]] },
      contextFor(project, researcher),
    );
    expect(result).toEqual({
      ok: true,
      value: [
        { id: ids[0], index: 3, label: 'red objects' },
        { id: ids[1], index: 17, label: null },
        { id: ids[2], index: 42, label: 'plural nouns' },
      ],
    });
    expect(await dispatch('features.labels', { featureIds: [] }, contextFor(project, researcher))).toEqual({
      ok: true,
      value: [],
    });
  });
});
