// Mining straight from a generated delphi cache (no engine, no re-encoding): fire counts, density,
// max, histogram totals and the top examples' per-token arrays equal a plain-TS count over the
// same firings. The two splits use different dtypes (I64 + F32, U16 + F16) as delphi caches do.
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { importDelphiCache } from '../../src-main/importers/delphi-import';
import { mine } from '../../src-main/mining/mine';
import { decodeActs } from '../../src-main/store/acts-json';
import { makeProject, tempDir } from '../helpers/factories';
import { SEQ_LEN, SEQUENCES, WIDTH, writeDelphiCache } from './delphi-cache';

describe('mine a delphi cache', () => {
  it('feeds the accumulators straight from the cache: counts, density, max and top examples match a plain count', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    const firings = writeDelphiCache(dir);
    await importDelphiCache(project, dir, 'cache', 'sae');
    const summary = await mine(project, { sae: 'sae', corpus: 'cache', top: 3 });
    expect(summary).toMatchObject({ state: 'done', tokens: SEQUENCES * SEQ_LEN, features: WIDTH, provider: 'none' });

    const docId = (b: number) =>
      project.db.prepare('SELECT id FROM documents WHERE external_id = ?').pluck().get(`seq-${b}`) as number;
    for (let latent = 0; latent < WIDTH; latent++) {
      const mine = firings.filter((f) => f.latent === latent);
      const row = project.db.prepare('SELECT * FROM features WHERE feature_index = ?').get(latent) as Record<
        string,
        number | string
      >;
      expect(row.fire_count, `latent ${latent}`).toBe(mine.length);
      expect(row.text_count).toBe(mine.length);
      expect(row.image_count).toBe(0);
      expect(row.token_count).toBe(SEQUENCES * SEQ_LEN);
      expect(row.density).toBeCloseTo(mine.length / (SEQUENCES * SEQ_LEN), 12);
      expect(row.max_activation).toBeCloseTo(Math.max(...mine.map((f) => f.v)), 6);
      expect((JSON.parse(row.histogram_json as string) as { counts: number[] }).counts.reduce((a, b) => a + b, 0)).toBe(
        mine.length,
      );

      // Top documents by their max, with the per-token values of that sequence.
      const perDoc = new Map<number, number>();
      for (const f of mine) perDoc.set(f.b, Math.max(perDoc.get(f.b) ?? 0, f.v));
      const expectedTop = [...perDoc].sort((a, c) => c[1] - a[1]).slice(0, 3);
      const top = project.db
        .prepare(
          "SELECT document_id, max_activation, token_acts_json FROM examples WHERE feature_id = ? AND bucket = 'top' ORDER BY rank",
        )
        .all(row.id) as { document_id: number; max_activation: number; token_acts_json: string }[];
      expect(top.map((t) => t.document_id)).toEqual(expectedTop.map(([b]) => docId(b)));
      top.forEach((t, i) => {
        const b = expectedTop[i][0];
        const values = new Array<number>(SEQ_LEN).fill(0);
        for (const f of mine) if (f.b === b) values[f.p] = Math.round(f.v * 1e4) / 1e4;
        expect(decodeActs(t.token_acts_json, 'examples.token_acts_json')).toEqual(values);
        expect(t.max_activation).toBeCloseTo(expectedTop[i][1], 6);
      });
      // Every example (top and quantile) is a sequence the latent fired in.
      const docs = project.db
        .prepare('SELECT document_id FROM examples WHERE feature_id = ?')
        .pluck()
        .all(row.id) as number[];
      for (const d of docs) expect([...perDoc.keys()].map(docId)).toContain(d);
    }
    const stats = JSON.parse(
      project.db.prepare('SELECT stats_json FROM features LIMIT 1').pluck().get() as string,
    ) as Record<string, unknown>;
    expect(stats).toMatchObject({ source: 'delphi', quantileScheme: 'equal-count' });
  });

  it('works from the CLI: import-activations on the cache folder, then mine reports no encoding', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    writeDelphiCache(dir);
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(
        await runCli([
          'import-activations',
          '--project',
          project.dir,
          '--path',
          dir,
          '--corpus',
          'cache',
          '--sae',
          'layer3',
          '--json',
        ]),
      ).toBe(0);
      expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({
        corpus: 'cache',
        documents: SEQUENCES,
        shards: 2,
      });
      expect(
        await runCli([
          'mine',
          '--project',
          project.dir,
          '--sae',
          'layer3',
          '--corpus',
          'cache',
          '--top',
          '2',
          '--json',
        ]),
      ).toBe(0);
      expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({
        state: 'done',
        provider: 'none',
        tokens: SEQUENCES * SEQ_LEN,
        features: WIDTH,
      });
    } finally {
      vi.restoreAllMocks();
    }
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(WIDTH);
  });

  it('refuses an SAE narrower than the cache', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    writeDelphiCache(dir);
    await importDelphiCache(project, dir, 'cache', 'sae');
    project.db.prepare("UPDATE saes SET d_sae = 8 WHERE name = 'sae'").run();
    await expect(mine(project, { sae: 'sae', corpus: 'cache' })).rejects.toThrow(
      /SAE "sae" has d_sae 8 but the cache of corpus "cache" has latents up to 15/,
    );
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(0);
  });
});
