// features.get: the sampling record from stats_json and the image tiles of each example.
import { describe, expect, it } from 'vitest';
import { getFeature, samplingOf, splitTiles } from '../../src-main/store/features';
import { makeProject } from '../helpers/factories';

describe('feature detail', () => {
  it('splits concatenated tile activations, and leaves anyres tiles without values when only the base is stored', () => {
    const grids = [
      { rows: 2, cols: 2 },
      { rows: 1, cols: 2 },
    ];
    expect(splitTiles(grids, grids[0], [1, 2, 3, 4, 5, 6])).toEqual({
      base: [1, 2, 3, 4],
      anyres: [{ tile: 1, rows: 1, cols: 2, patches: [5, 6] }],
    });
    expect(splitTiles(grids, grids[0], [1, 2, 3, 4])).toEqual({
      base: [1, 2, 3, 4],
      anyres: [{ tile: 1, rows: 1, cols: 2, patches: null }],
    });
    expect(splitTiles(undefined, { rows: 1, cols: 1 }, [9])).toEqual({ base: [9], anyres: [] });
    expect(splitTiles([{ rows: 1, cols: 1 }], { rows: 1, cols: 1 }, [9])).toEqual({ base: [9], anyres: [] });
  });

  it('reads the scheme from stats_json (quantileScheme, or an older scheme key)', () => {
    expect(
      samplingOf(
        { quantileScheme: 'equal-width', quantiles: 4, perQuantile: 3, modalityShare: 0.9, provider: 'cpu' },
        100,
      ),
    ).toMatchObject({
      scheme: 'equal-width',
      quantiles: 4,
      perQuantile: 3,
      modalityShare: 0.9,
      provider: 'cpu',
      tokenCount: 100,
    });
    expect(samplingOf({ scheme: 'equal-count' }, 0).scheme).toBe('equal-count');
    expect(samplingOf(null, 0)).toMatchObject({ scheme: null, quantiles: null });
  });

  it('returns tiles and sampling from the store', () => {
    const project = makeProject();
    const db = project.db;
    const sha = 'a'.repeat(64);
    db.prepare('INSERT INTO media (sha256, mime, bytes, width, height) VALUES (?, ?, ?, ?, ?)').run(
      sha,
      'image/png',
      1,
      8,
      8,
    );
    const corpus = db.prepare("INSERT INTO corpora (name, created_at) VALUES ('c', 0)").run().lastInsertRowid;
    const doc = db
      .prepare(
        "INSERT INTO documents (corpus_id, external_id, kind, tokens_json, media_sha256, meta_json) VALUES (?, 'd', 'multimodal', ?, ?, ?)",
      )
      .run(
        corpus,
        JSON.stringify(['a', ' cat']),
        sha,
        JSON.stringify({
          tiles: [
            { rows: 2, cols: 2 },
            { rows: 2, cols: 2 },
          ],
        }),
      ).lastInsertRowid;
    const sae = db
      .prepare(
        "INSERT INTO saes (name, format, architecture, d_in, d_sae, created_at) VALUES ('s', 'saelens', 'relu', 4, 4, 0)",
      )
      .run().lastInsertRowid;
    const feature = Number(
      db
        .prepare('INSERT INTO features (sae_id, feature_index, token_count, stats_json) VALUES (?, 0, 42, ?)')
        .run(sae, JSON.stringify({ quantileScheme: 'equal-count', quantiles: 4 })).lastInsertRowid,
    );
    db.prepare(
      "INSERT INTO examples (feature_id, document_id, bucket, rank, max_activation, token_acts_json, patch_acts_json, patch_rows, patch_cols) VALUES (?, ?, 'top', 0, 1, ?, ?, 2, 2)",
    ).run(feature, doc, JSON.stringify([0, 1]), JSON.stringify([0, 1, 0, 0]));
    const detail = getFeature(db, feature);
    expect(detail.sampling).toMatchObject({ scheme: 'equal-count', quantiles: 4, tokenCount: 42 });
    expect(detail.examples[0].image).toEqual({
      sha256: sha,
      rows: 2,
      cols: 2,
      patches: [0, 1, 0, 0],
      anyres: [{ tile: 1, rows: 2, cols: 2, patches: null }],
    });
    expect(detail.examples[0].tokens).toEqual([
      { token: 'a', value: 0 },
      { token: ' cat', value: 1 },
    ]);

    // A run that stores every tile, sparse: the base and the anyres tile each get their values.
    db.prepare('UPDATE examples SET token_acts_json = ?, patch_acts_json = ? WHERE feature_id = ?').run(
      '{"n":2,"i":[1],"v":[0.5]}',
      '{"n":8,"i":[1,6],"v":[1,2]}',
      feature,
    );
    const sparse = getFeature(db, feature).examples[0];
    expect(sparse.image).toMatchObject({
      patches: [0, 1, 0, 0],
      anyres: [{ tile: 1, rows: 2, cols: 2, patches: [0, 0, 2, 0] }],
    });
    expect(sparse.tokens).toEqual([
      { token: 'a', value: 0 },
      { token: ' cat', value: 0.5 },
    ]);

    // A malformed stored value names the column and what was expected.
    db.prepare('UPDATE examples SET patch_acts_json = ? WHERE feature_id = ?').run(
      '{"n":8,"i":[6,1],"v":[1,2]}',
      feature,
    );
    expect(() => getFeature(db, feature)).toThrow(
      /column examples\.patch_acts_json: expected "i" increasing whole numbers below n = 8/,
    );
  });
});
