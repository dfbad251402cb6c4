// End to end on generated data: import an SAE (SAELens) and a sidecar corpus with planted concepts,
// mine, and check every statistic against a plain-TS count over the same rows.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { mine } from '../../src-main/mining/mine';
import { getFeature } from '../../src-main/store/features';
import { makeProject, tempDir } from '../helpers/factories';
import { CONCEPTS, D_SAE, writeSyntheticCorpus } from './synthetic';

async function setup(options: { npy?: boolean } = {}) {
  const project = makeProject();
  const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'), options);
  await importSae(project, { path: corpus.saeDir, name: 'sae' });
  await importDenseActivations(project, corpus.sidecar, 'corpus');
  return { project, corpus };
}

const featureRow = (project: ReturnType<typeof makeProject>, index: number) =>
  project.db.prepare('SELECT * FROM features WHERE feature_index = ?').get(index) as Record<string, number | string>;

describe('mine', () => {
  it('recovers planted concepts: patches, tokens, top documents, exact density, histograms, modality', async () => {
    const { project, corpus } = await setup();
    const summary = await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 });
    expect(summary).toMatchObject({ state: 'done', features: D_SAE, provider: 'cpu' });
    const content = corpus.rows.filter((r) => r.kind !== 'special');
    for (const [name, c] of Object.entries(CONCEPTS)) {
      // Reference: relu(x_c - 0.5) > 0 over content rows (special rows excluded).
      const firing = content.filter((r) => r.x[c] - 0.5 > 0);
      const f = featureRow(project, c);
      expect(f.fire_count, name).toBe(firing.length);
      expect(f.token_count).toBe(content.length);
      expect(f.density).toBeCloseTo(firing.length / content.length, 12);
      expect(f.image_count).toBe(firing.filter((r) => r.kind === 'image').length);
      expect(f.max_activation).toBeCloseTo(Math.max(...firing.map((r) => r.x[c] - 0.5)), 5);
      const histogram = JSON.parse(f.histogram_json as string) as { counts: number[] };
      expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(firing.length);
    }
    expect(featureRow(project, CONCEPTS.imageOnly).modality).toBe('image');
    expect(featureRow(project, CONCEPTS.textOnly).modality).toBe('text');
    expect(featureRow(project, CONCEPTS.shared).modality).toBe('shared');
    expect(featureRow(project, 50).modality).toBe('dead');

    const shared = getFeature(project.db, featureRow(project, CONCEPTS.shared).id as number);
    const top = shared.examples.filter((e) => e.bucket === 'top');
    const docName = (id: number) =>
      project.db.prepare('SELECT external_id FROM documents WHERE id = ?').pluck().get(id);
    expect(top.map((e) => docName(e.documentId))).toEqual(['doc-9', 'doc-6', 'doc-3']);
    // doc-9: the planted patch is base-tile patch 5 and the word " circle" is token 2.
    expect(top[0].image!.patches.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0)).toEqual([5]);
    expect(top[0].tokens!.map((t) => t.value > 0)).toEqual([false, false, true]);
    expect(top[0].maxActivation).toBeCloseTo(1.4, 5);
    const imageOnly = getFeature(project.db, featureRow(project, CONCEPTS.imageOnly).id as number);
    // Row 1 of the 4x4 base tile; the newline rows (value 50) are excluded from the max.
    expect(imageOnly.examples[0].image!.patches.map((v) => (v > 0 ? 1 : 0))).toEqual([
      0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(imageOnly.feature.maxActivation).toBeLessThan(2);
  });

  it('counts every firing exactly when tokens fire more features than --k keeps (the engine counts them in the graph)', async () => {
    const { project, corpus } = await setup();
    const logged: string[] = [];
    await mine(project, { sae: 'sae', corpus: 'corpus', topK: 1, info: (line) => logged.push(line) });
    const content = corpus.rows.filter((r) => r.kind !== 'special');
    // Base patch 5 of "circle" documents fires the image-only and the shared concept: two features, K = 1.
    const atK = content.filter((r) => [0, 1, 2].filter((c) => r.x[c] - 0.5 > 0).length >= 1).length;
    let truncated = 0;
    for (const [name, c] of Object.entries(CONCEPTS)) {
      const firing = content.filter((r) => r.x[c] - 0.5 > 0);
      const f = featureRow(project, c);
      expect(f.fire_count, name).toBe(firing.length);
      expect(f.image_count, name).toBe(firing.filter((r) => r.kind === 'image').length);
      expect(f.text_count, name).toBe(firing.filter((r) => r.kind !== 'image').length);
      expect(f.density).toBeCloseTo(firing.length / content.length, 12);
      const histogram = JSON.parse(f.histogram_json as string) as { counts: number[] };
      const inHistogram = histogram.counts.reduce((a, b) => a + b, 0);
      expect(inHistogram).toBeLessThanOrEqual(firing.length);
      truncated += firing.length - inHistogram;
    }
    expect(truncated).toBeGreaterThan(0);
    expect(JSON.parse(featureRow(project, 0).stats_json as string)).toMatchObject({
      k: 1,
      tokensAtK: atK,
      imageTokens: content.filter((r) => r.kind === 'image').length,
      textTokens: content.filter((r) => r.kind === 'text').length,
    });
    expect(logged.join('\n')).toMatch(new RegExp(`${atK} of ${content.length} tokens fired 1 or more features`));
  });

  it('gives the same result for .npy shards, any batch size, and both quantile schemes record theirs', async () => {
    const a = await setup();
    const b = await setup({ npy: true });
    await mine(a.project, { sae: 'sae', corpus: 'corpus', batch: 4096 });
    await mine(b.project, { sae: 'sae', corpus: 'corpus', batch: 7, scheme: 'equal-width' });
    const cols =
      'feature_index, fire_count, density, max_activation, image_count, text_count, modality, histogram_json';
    expect(b.project.db.prepare(`SELECT ${cols} FROM features ORDER BY feature_index`).all()).toEqual(
      a.project.db.prepare(`SELECT ${cols} FROM features ORDER BY feature_index`).all(),
    );
    expect(JSON.parse(featureRow(b.project, 0).stats_json as string)).toMatchObject({
      quantileScheme: 'equal-width',
      modalityShare: 0.9,
    });
  });

  it('refuses an SAE whose file changed since import, and writes nothing', async () => {
    const { project, corpus } = await setup();
    const weights = path.join(corpus.saeDir, 'sae_weights.safetensors');
    const bytes = fs.readFileSync(weights);
    bytes[bytes.length - 1] ^= 0x01;
    fs.writeFileSync(weights, bytes);
    await expect(mine(project, { sae: 'sae', corpus: 'corpus' })).rejects.toThrow(
      /sae_weights\.safetensors: SAE "sae" changed since it was imported \(sha256/,
    );
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(0);
  });
});
