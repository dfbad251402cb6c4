// `sightline features --json`: after mining the synthetic corpus, the printed statistics and examples
// (document, bucket, rank, activation values, where the example peaks, anyres tiles included) equal
// what is stored.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { mine } from '../../src-main/mining/mine';
import { decodeActs } from '../../src-main/store/acts-json';
import { runJson } from '../helpers/cli';
import { makeProject, tempDir } from '../helpers/factories';
import { ANYRES_CONCEPT, CONCEPTS, D_SAE, writeSyntheticCorpus } from './synthetic';

describe('sightline features --json', () => {
  it('prints the stored statistics of every feature, and one feature with its examples', async () => {
    const project = makeProject();
    const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'), { anyresPeak: true });
    await importSae(project, { path: corpus.saeDir, name: 'sae' });
    await importDenseActivations(project, corpus.sidecar, 'corpus');
    await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 });

    const all = await runJson(['features', '--project', project.dir, '--sae', 'sae']);
    expect(all.code).toBe(0);
    const stored = project.db
      .prepare(
        'SELECT feature_index, fire_count, token_count, density, max_activation, image_count, text_count, modality FROM features ORDER BY feature_index',
      )
      .all() as Record<string, number | string>[];
    expect(all.value.sae).toBe('sae');
    expect(all.value.features).toHaveLength(D_SAE);
    expect(
      all.value.features.map((f: Record<string, unknown>) => [
        f.index,
        f.fireCount,
        f.tokenCount,
        f.density,
        f.maxActivation,
        f.imageCount,
        f.textCount,
        f.modality,
      ]),
    ).toEqual(
      stored.map((r) => [
        r.feature_index,
        r.fire_count,
        r.token_count,
        r.density,
        r.max_activation,
        r.image_count,
        r.text_count,
        r.modality,
      ]),
    );

    for (const feature of [...Object.values(CONCEPTS), ANYRES_CONCEPT]) {
      const one = await runJson(['features', '--project', project.dir, '--sae', 'sae', '--feature', String(feature)]);
      expect(one.code).toBe(0);
      const row = project.db.prepare('SELECT * FROM features WHERE feature_index = ?').get(feature) as Record<
        string,
        any
      >;
      expect(one.value.feature).toMatchObject({
        index: feature,
        fireCount: row.fire_count,
        density: row.density,
        maxActivation: row.max_activation,
        modality: row.modality,
      });
      expect(one.value.histogram).toEqual(JSON.parse(row.histogram_json));
      expect(one.value.sampling).toMatchObject({ scheme: 'equal-count', modalityShare: 0.9 });
      const examples = project.db
        .prepare(
          `SELECT e.bucket, e.rank, e.max_activation, e.token_acts_json, e.patch_acts_json, d.external_id FROM examples e JOIN documents d ON d.id = e.document_id
           WHERE e.feature_id = ? ORDER BY e.bucket = 'top' DESC, e.bucket, e.rank`,
        )
        .all(row.id) as Record<string, any>[];
      expect(one.value.examples.length).toBe(examples.length);
      expect(examples.length).toBeGreaterThan(0);
      one.value.examples.forEach((printed: any, i: number) => {
        const e = examples[i];
        expect([printed.document, printed.bucket, printed.rank, printed.maxActivation]).toEqual([
          e.external_id,
          e.bucket,
          e.rank,
          e.max_activation,
        ]);
        const tokenValues = decodeActs(e.token_acts_json, 'examples.token_acts_json')!;
        expect(printed.tokens.map((t: { value: number }) => t.value)).toEqual(tokenValues);
        // Stored: the 4x4 base tile, then the 2x2 anyres tile; printed separately.
        const stored = decodeActs(e.patch_acts_json, 'examples.patch_acts_json');
        const patches = stored ? stored.slice(0, 16) : null;
        expect(printed.image?.patches ?? null).toEqual(patches);
        if (stored) expect(printed.image.anyres).toEqual([{ tile: 1, rows: 2, cols: 2, patches: stored.slice(16) }]);
        // Where it peaks: the largest stored value, as a token index or a patch of tile 0 (4x4) or 1 (2x2).
        const peak = Math.max(...tokenValues, ...(stored ?? []));
        expect(printed.maxAt.value).toBe(peak);
        if ('token' in printed.maxAt) expect(tokenValues[printed.maxAt.token]).toBe(peak);
        else {
          const { tile, patch, row, col } = printed.maxAt;
          const cols = tile === 0 ? 4 : 2;
          expect([row, col]).toEqual([Math.floor(patch / cols), patch % cols]);
          expect(stored![(tile === 0 ? 0 : 16) + patch]).toBe(peak);
        }
      });
    }
    // This concept fires on base patch 0 and harder on anyres tile 1, patch 3 (row 1, col 1): the peak
    // is named in the anyres tile, with the example's maximum.
    const anyres = await runJson([
      'features',
      '--project',
      project.dir,
      '--sae',
      'sae',
      '--feature',
      String(ANYRES_CONCEPT),
    ]);
    const strongest = anyres.value.examples[0];
    expect(strongest).toMatchObject({ document: 'doc-11', bucket: 'top', rank: 0 });
    expect(strongest.image.patches[0]).toBeGreaterThan(0);
    // doc-11 has strength 2.1: base patch 0 holds 2.1 - 0.5, the anyres patch 2.1 + 1 - 0.5 (stored to 1e-4).
    expect(strongest.maxAt).toEqual({ tile: 1, patch: 3, row: 1, col: 1, value: 2.6 });
    expect(strongest.maxActivation).toBeCloseTo(2.6, 4);
    expect(strongest.maxAt.value).toBeGreaterThan(strongest.image.patches[0]);

    // The shared concept's strongest example peaks on both patch 5 and the word " circle" (token 2).
    const shared = await runJson([
      'features',
      '--project',
      project.dir,
      '--sae',
      'sae',
      '--feature',
      String(CONCEPTS.shared),
    ]);
    expect(shared.value.examples[0]).toMatchObject({ document: 'doc-9', bucket: 'top', rank: 0 });

    const missing = await runJson(['features', '--project', project.dir, '--sae', 'sae', '--feature', String(D_SAE)]);
    expect(missing.code).toBe(1);
    expect(missing.value).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringContaining(`no mined feature ${D_SAE}`) },
    });
  });
});
