// Mining straight from a generated delphi cache (no engine, no re-encoding): fire counts, density,
// max, histogram totals and the top examples' per-token arrays equal a plain-TS count over the
// same firings. The two splits use different dtypes (I64 + F32, U16 + F16) as delphi caches do.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { importDelphiCache } from '../../src-main/importers/delphi-import';
import { mine } from '../../src-main/mining/mine';
import { decodeActs } from '../../src-main/store/acts-json';
import { f32ToF16Bits } from '../engine/fixtures';
import { makeProject, tempDir } from '../helpers/factories';

const SEQUENCES = 6;
const SEQ_LEN = 10;
const WIDTH = 16;

interface Firing {
  b: number;
  p: number;
  latent: number;
  v: number;
}

type Raw = { name: string; dtype: string; shape: number[]; bytes: Uint8Array };

function rawSafetensors(file: string, tensors: Raw[]): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json), ...tensors.map((t) => Buffer.from(t.bytes))]));
}

/** A cache of two splits (latents 0-7 and 8-15); every value is distinct and exact in F16. */
function writeCache(dir: string): Firing[] {
  fs.mkdirSync(dir, { recursive: true });
  const firings: Firing[] = [];
  let state = 7;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  let counter = 1;
  const tokens = new BigInt64Array(SEQUENCES * SEQ_LEN).map((_, i) => BigInt((i * 31) % 50));
  const splits: [number, number, 'I64' | 'U16', 'F32' | 'F16'][] = [[0, 7, 'I64', 'F32'], [8, 15, 'U16', 'F16']];
  for (const [start, end, locDtype, actDtype] of splits) {
    const here: Firing[] = [];
    for (let b = 0; b < SEQUENCES; b++)
      for (let p = 0; p < SEQ_LEN; p++)
        for (let l = start; l <= end; l++) if (random() < 0.3) here.push({ b, p, latent: l, v: counter++ / 64 });
    // delphi stores locations grouped by latent, not by token: shuffle to show order does not matter.
    here.sort((a, c) => a.latent - c.latent || c.v - a.v);
    // one zero activation: stored, but not a firing
    const stored = [...here, { b: 0, p: 0, latent: start, v: 0 }];
    const loc = stored.flatMap((f) => [f.b, f.p, f.latent - start]);
    const locBytes = locDtype === 'I64' ? new Uint8Array(BigInt64Array.from(loc.map(BigInt)).buffer) : new Uint8Array(Uint16Array.from(loc).buffer);
    const actBytes =
      actDtype === 'F32' ? new Uint8Array(Float32Array.from(stored.map((f) => f.v)).buffer) : new Uint8Array(Uint16Array.from(stored.map((f) => f32ToF16Bits(f.v))).buffer);
    rawSafetensors(path.join(dir, `${start}_${end}.safetensors`), [
      { name: 'locations', dtype: locDtype, shape: [stored.length, 3], bytes: locBytes },
      { name: 'activations', dtype: actDtype, shape: [stored.length], bytes: actBytes },
      { name: 'tokens', dtype: 'I64', shape: [SEQUENCES, SEQ_LEN], bytes: new Uint8Array(tokens.buffer) },
    ]);
    firings.push(...here);
  }
  return firings;
}

describe('mine a delphi cache', () => {
  it('feeds the accumulators straight from the cache: counts, density, max and top examples match a plain count', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    const firings = writeCache(dir);
    await importDelphiCache(project, dir, 'cache', 'sae');
    const summary = await mine(project, { sae: 'sae', corpus: 'cache', top: 3 });
    expect(summary).toMatchObject({ state: 'done', tokens: SEQUENCES * SEQ_LEN, features: WIDTH, provider: 'none' });

    const docId = (b: number) => project.db.prepare('SELECT id FROM documents WHERE external_id = ?').pluck().get(`seq-${b}`) as number;
    for (let latent = 0; latent < WIDTH; latent++) {
      const mine = firings.filter((f) => f.latent === latent);
      const row = project.db.prepare('SELECT * FROM features WHERE feature_index = ?').get(latent) as Record<string, number | string>;
      expect(row.fire_count, `latent ${latent}`).toBe(mine.length);
      expect(row.text_count).toBe(mine.length);
      expect(row.image_count).toBe(0);
      expect(row.token_count).toBe(SEQUENCES * SEQ_LEN);
      expect(row.density).toBeCloseTo(mine.length / (SEQUENCES * SEQ_LEN), 12);
      expect(row.max_activation).toBeCloseTo(Math.max(...mine.map((f) => f.v)), 6);
      expect((JSON.parse(row.histogram_json as string) as { counts: number[] }).counts.reduce((a, b) => a + b, 0)).toBe(mine.length);

      // Top documents by their max, with the per-token values of that sequence.
      const perDoc = new Map<number, number>();
      for (const f of mine) perDoc.set(f.b, Math.max(perDoc.get(f.b) ?? 0, f.v));
      const expectedTop = [...perDoc].sort((a, c) => c[1] - a[1]).slice(0, 3);
      const top = project.db
        .prepare("SELECT document_id, max_activation, token_acts_json FROM examples WHERE feature_id = ? AND bucket = 'top' ORDER BY rank")
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
      const docs = project.db.prepare('SELECT document_id FROM examples WHERE feature_id = ?').pluck().all(row.id) as number[];
      for (const d of docs) expect([...perDoc.keys()].map(docId)).toContain(d);
    }
    const stats = JSON.parse((project.db.prepare('SELECT stats_json FROM features LIMIT 1').pluck().get() as string)) as Record<string, unknown>;
    expect(stats).toMatchObject({ source: 'delphi', quantileScheme: 'equal-count' });
  });

  it('works from the CLI: import-activations on the cache folder, then mine reports no encoding', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    writeCache(dir);
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['import-activations', '--project', project.dir, '--path', dir, '--corpus', 'cache', '--sae', 'layer3', '--json'])).toBe(0);
      expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({ corpus: 'cache', documents: SEQUENCES, shards: 2 });
      expect(await runCli(['mine', '--project', project.dir, '--sae', 'layer3', '--corpus', 'cache', '--top', '2', '--json'])).toBe(0);
      expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({ state: 'done', provider: 'none', tokens: SEQUENCES * SEQ_LEN, features: WIDTH });
    } finally {
      vi.restoreAllMocks();
    }
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(WIDTH);
  });

  it('refuses an SAE narrower than the cache', async () => {
    const project = makeProject();
    const dir = path.join(tempDir(), 'cache');
    writeCache(dir);
    await importDelphiCache(project, dir, 'cache', 'sae');
    project.db.prepare("UPDATE saes SET d_sae = 8 WHERE name = 'sae'").run();
    await expect(mine(project, { sae: 'sae', corpus: 'cache' })).rejects.toThrow(/SAE "sae" has d_sae 8 but the cache of corpus "cache" has latents up to 15/);
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(0);
  });
});
