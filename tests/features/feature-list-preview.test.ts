// The feature list's SAE column and one-glance preview (issue 15), and features.get by SAE name and
// index: rows carry their SAE, layer and model, and a preview of their top example (a thumbnail
// grid max-pooled to at most 8×8, the tokens around the max), all from one query per page.
import { describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { FeatureDetail, FeatureListRow } from '../../src-main/contract/types';
import { poolGrid, tokensAroundMax } from '../../src-main/store/feature-preview';
import { listFeatures } from '../../src-main/store/features';
import { contextFor, makeProject, researcher } from '../helpers/factories';

const TEXT = ['The', ' cat', ' sat', ' on', ' the', ' warm', ' red', ' mat', ' by', ' the', ' door', '.'];

/** Three features of an SAE at layer 7 of "tiny-vlm": an image one (10×10 grid), a text one, one with no example. */
function writeProject() {
  const project = makeProject();
  const db = project.db;
  const model = db.prepare("INSERT INTO models (name, created_at) VALUES ('tiny-vlm', 0)").run().lastInsertRowid;
  const sae = db
    .prepare(
      "INSERT INTO saes (name, model_id, format, architecture, layer, d_in, d_sae, created_at) VALUES ('tiny-L7', ?, 'saelens', 'relu', 7, 4, 8, 0)",
    )
    .run(model).lastInsertRowid;
  const sha = 'b'.repeat(64);
  db.prepare("INSERT INTO media (sha256, mime, bytes, width, height) VALUES (?, 'image/png', 1, 40, 40)").run(sha);
  const corpus = db.prepare("INSERT INTO corpora (name, created_at) VALUES ('c', 0)").run().lastInsertRowid;
  const imageDoc = db
    .prepare(
      "INSERT INTO documents (corpus_id, external_id, kind, tokens_json, media_sha256) VALUES (?, 'img', 'multimodal', ?, ?)",
    )
    .run(corpus, JSON.stringify(['A', ' picture']), sha).lastInsertRowid;
  const textDoc = db
    .prepare("INSERT INTO documents (corpus_id, external_id, kind, tokens_json) VALUES (?, 'txt', 'text', ?)")
    .run(corpus, JSON.stringify(TEXT)).lastInsertRowid;
  const feature = (index: number, max: number, modality: string) =>
    Number(
      db
        .prepare(
          'INSERT INTO features (sae_id, feature_index, max_activation, modality, token_count) VALUES (?, ?, ?, ?, 100)',
        )
        .run(sae, index, max, modality).lastInsertRowid,
    );
  const example = db.prepare(
    'INSERT INTO examples (feature_id, document_id, bucket, rank, max_activation, token_acts_json, patch_acts_json, patch_rows, patch_cols) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const imageFeature = feature(3, 4, 'image');
  // 10×10 grid: a hot patch in the last row and column, a weaker one at the top left; then an anyres
  // tile of 4 values that the preview must leave out.
  const patches = new Array(100).fill(0);
  patches[99] = 4;
  patches[11] = 1.5;
  example.run(
    imageFeature,
    imageDoc,
    'top',
    0,
    4,
    JSON.stringify([0, 0.5]),
    JSON.stringify([...patches, 9, 9, 9, 9]),
    10,
    10,
  );
  // A weaker quantile example of the same document is not the preview.
  example.run(imageFeature, textDoc, 'q1', 0, 1, JSON.stringify(TEXT.map(() => 1)), null, null, null);
  const textFeature = feature(5, 2, 'text');
  const textValues = TEXT.map((token) => (token === ' red' ? 2 : token === ' mat' ? 1 : 0));
  example.run(textFeature, textDoc, 'top', 1, 1, JSON.stringify(TEXT.map(() => 0.1)), null, null, null);
  example.run(textFeature, textDoc, 'top', 0, 2, JSON.stringify(textValues), null, null, null);
  const emptyFeature = feature(9, 0, 'dead');
  return { project, imageFeature, textFeature, emptyFeature, sha };
}

describe('feature list previews', () => {
  it('pools a grid by max and takes the tokens around the max', () => {
    const grid = [0, 1, 2, 0, 0, 0, 5, 0, 0];
    expect(poolGrid(grid, 3, 3, 2)).toEqual({ rows: 2, cols: 2, patches: [1, 2, 5, 0] });
    expect(poolGrid(grid, 3, 3, 3)).toEqual({ rows: 3, cols: 3, patches: grid });
    const tokens = 'abcdefghij'.split('').map((token, i) => ({ token, value: i === 6 ? 3 : 0 }));
    expect(tokensAroundMax(tokens, 4).map((t) => t.token)).toEqual(['e', 'f', 'g', 'h']);
    // Near the end, the window slides back to stay full.
    expect(
      tokensAroundMax(
        tokens.map((t, i) => ({ ...t, value: i === 9 ? 1 : 0 })),
        4,
      ).map((t) => t.token),
    ).toEqual(['g', 'h', 'i', 'j']);
    expect(tokensAroundMax(tokens.slice(0, 3), 8)).toHaveLength(3);
  });

  it("gives each row its SAE, layer, model and top example's preview, in one query per page", () => {
    const { project, imageFeature, textFeature, emptyFeature, sha } = writeProject();
    const prepare = vi.spyOn(project.db, 'prepare');
    const { total, rows } = listFeatures(project.db, { sort: 'max', descending: true, offset: 0, limit: 10 });
    // One count and one page query, however many rows: the previews come with the page.
    expect(prepare).toHaveBeenCalledTimes(2);
    const pageSql = prepare.mock.calls[1][0];
    prepare.mockRestore();

    expect(total).toBe(3);
    expect(rows.map((row) => row.id)).toEqual([imageFeature, textFeature, emptyFeature]);
    for (const row of rows) {
      expect(row).toMatchObject({ saeName: 'tiny-L7', layer: 7, model: 'tiny-vlm' });
      // The example's raw columns are folded into `preview`, not passed through.
      expect(Object.keys(row).filter((key) => key.startsWith('preview'))).toEqual(['preview']);
    }
    const [image, text, empty] = rows as FeatureListRow[];

    // 10×10 pooled by 2 to 5×5; the hot patch (9, 9) lands in (4, 4), (1, 1) in (0, 0); the anyres values are not the base.
    const pooled = new Array(25).fill(0);
    pooled[24] = 4;
    pooled[0] = 1.5;
    expect(image.preview).toEqual({
      maxActivation: 4,
      image: { sha256: sha, rows: 5, cols: 5, patches: pooled },
      tokens: [
        { token: 'A', value: 0 },
        { token: ' picture', value: 0.5 },
      ],
    });
    // The rank-0 top example, two tokens before " red" and five after it.
    expect(text.preview).toEqual({
      maxActivation: 2,
      image: null,
      tokens: [' the', ' warm', ' red', ' mat', ' by', ' the', ' door', '.'].map((token) => ({
        token,
        value: token === ' red' ? 2 : token === ' mat' ? 1 : 0,
      })),
    });
    expect(empty.preview).toBeNull();

    // Only the page's rows look their example up, through the examples_by_feature index.
    const plan = (
      project.db.prepare(`EXPLAIN QUERY PLAN ${pageSql}`).all({ limit: 10, offset: 0 }) as { detail: string }[]
    )
      .map((row) => row.detail)
      .join(' | ');
    expect(plan).toMatch(/examples_by_feature \(feature_id=\? AND bucket=\?\)/);
    expect(plan).not.toMatch(/SCAN (e|top|examples)\b/);

    // Offset and filters keep their meaning.
    const second = listFeatures(project.db, { sort: 'max', descending: true, offset: 1, limit: 1, modality: 'text' });
    expect(second).toMatchObject({ total: 1, rows: [] });
    expect(listFeatures(project.db, { sort: 'index', descending: false, offset: 1, limit: 1 }).rows[0].id).toBe(
      textFeature,
    );
  });

  it('features.get finds a feature by SAE name and index, and names the address it cannot find', async () => {
    const { project, textFeature } = writeProject();
    const context = contextFor(project, researcher);
    const byAddress = (await dispatch('features.get', { sae: 'tiny-L7', index: 5 }, context)) as {
      ok: true;
      value: FeatureDetail;
    };
    expect(byAddress.ok).toBe(true);
    expect(byAddress.value.feature).toMatchObject({
      id: textFeature,
      index: 5,
      saeName: 'tiny-L7',
      layer: 7,
      model: 'tiny-vlm',
    });
    const byId = (await dispatch('features.get', { featureId: textFeature }, context)) as { value: FeatureDetail };
    expect(byId.value.feature).toEqual(byAddress.value.feature);
    expect(await dispatch('features.get', { sae: 'tiny-L7', index: 4 }, context)).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringContaining('feature tiny-L7/4') },
    });
    // Half an address, or both kinds at once, is refused with what to send.
    for (const input of [{ sae: 'tiny-L7' }, { index: 5 }, {}, { featureId: textFeature, sae: 'tiny-L7', index: 5 }])
      expect(await dispatch('features.get', input, context), JSON.stringify(input)).toMatchObject({
        ok: false,
        error: {
          code: 'invalid_input',
          message:
            'features.get: (input): expected either featureId, or sae (the SAE name) and index (the feature index)',
        },
      });
  });
});
