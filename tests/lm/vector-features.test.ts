// `sightline vector features` (vectors.features): the cosine of a stored vector with every decoder row
// of an imported SAE, ranked in the engine worker. Checked against a plain float64 reference written
// here over the SAE's raw rows; a vector made of two decoder rows has exactly those two on top; the
// negative of a row has it at the bottom with cosine −1; a zero row is left out; labels come from the
// mined features; a vector of another d_model, and an SAE file changed since import, are refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankDecoderCosines } from '../../src-main/engine/decoder-cosines.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { npyBytes, randomSae, tempDir, writeSaeLensDir, type RawSae } from '../engine/fixtures.js';
import { runJson } from '../helpers/cli.js';

const D_IN = 256;
const D_SAE = 96;
const ZERO_ROW = 5;
let dir: string;
let project: Project;
let sae: RawSae;
let saeDir: string;

const row = (j: number) => Array.from(sae.W_dec.subarray(j * D_IN, (j + 1) * D_IN));
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** Every row's cosine with v, in plain float64 arithmetic; null for a zero row. */
function referenceCosines(v: number[]): (number | null)[] {
  return Array.from({ length: D_SAE }, (_, j) => {
    const w = row(j);
    const n = norm(w);
    return n === 0 ? null : w.reduce((s, x, i) => s + x * v[i], 0) / (n * norm(v));
  });
}

async function storeVector(name: string, values: number[]): Promise<void> {
  const file = join(dir, `${name}.npy`);
  writeFileSync(file, npyBytes(Float32Array.from(values), [values.length]));
  const imported = await runJson(['vector', 'import', '--project', project.dir, '--path', file, '--name', name]);
  expect(imported.code).toBe(0);
}

const features = (name: string, top: number, saeName = 'sae96') =>
  runJson(['vector', 'features', '--project', project.dir, '--name', name, '--sae', saeName, '--top', String(top)]);

beforeAll(async () => {
  dir = tempDir();
  project = openProject(join(dir, 'features.sightline'), { create: true });
  sae = randomSae('relu', D_IN, D_SAE, 21);
  sae.W_dec.fill(0, ZERO_ROW * D_IN, (ZERO_ROW + 1) * D_IN);
  saeDir = writeSaeLensDir(join(dir, 'sae'), sae);
  const imported = await runJson(['import-sae', '--project', project.dir, '--path', saeDir, '--name', 'sae96']);
  expect(imported.code).toBe(0);
});
afterAll(() => project.close());

describe('vector features', () => {
  it('ranks every decoder row as the float64 reference does, top and most negative', async () => {
    const random = sae.b_dec; // any fixed values of the right length, unrelated to W_dec
    const v = Array.from({ length: D_IN }, (_, i) => random[i % random.length] + Math.sin(i));
    await storeVector('probe-like', v);
    const found = await features('probe-like', 10);
    expect(found.code).toBe(0);
    const cosines = referenceCosines(v);
    const ranked = cosines
      .map((cosine, feature) => ({ feature, cosine }))
      .filter((f): f is { feature: number; cosine: number } => f.cosine !== null);
    const byCosine = [...ranked].sort((a, b) => b.cosine - a.cosine);
    expect(found.value.top.map((f: { feature: number }) => f.feature)).toEqual(
      byCosine.slice(0, 10).map((f) => f.feature),
    );
    expect(found.value.bottom.map((f: { feature: number }) => f.feature)).toEqual(
      byCosine
        .slice(-10)
        .reverse()
        .map((f) => f.feature),
    );
    for (const f of [...found.value.top, ...found.value.bottom])
      expect(f.cosine).toBeCloseTo(cosines[f.feature] as number, 6);
    expect(found.value.zeroRows).toBe(1);
    expect(found.value).toMatchObject({
      vector: { name: 'probe-like', dModel: D_IN },
      sae: { name: 'sae96', dIn: D_IN, dSae: D_SAE, layer: 7 },
    });
    expect(found.value.vector.norm).toBeCloseTo(norm(v), 4);
  });

  it('finds the two decoder rows a vector is made of, and a negated row at the bottom', async () => {
    const [a, b] = [17, 62];
    const unit = (j: number) => row(j).map((x) => x / norm(row(j)));
    const mix = unit(a).map((x, i) => 1.0 * x + 0.8 * unit(b)[i]);
    await storeVector('two-rows', mix);
    const found = await features('two-rows', 3);
    expect(found.value.top.slice(0, 2).map((f: { feature: number }) => f.feature)).toEqual([a, b]);
    // The third is well below the two: the pair is not an accident of random rows being alike.
    expect(found.value.top[1].cosine - found.value.top[2].cosine).toBeGreaterThan(0.2);

    await storeVector(
      'minus-40',
      row(40).map((x) => -3 * x),
    );
    const opposite = await features('minus-40', 1);
    expect(opposite.value.bottom).toEqual([
      { feature: 40, cosine: expect.closeTo(-1, 6), mined: false, label: null, modality: null },
    ]);
  });

  it('names the mined features and their labels', async () => {
    const saeId = project.db.prepare('SELECT id FROM saes WHERE name = ?').pluck().get('sae96');
    project.db
      .prepare(
        `INSERT INTO features (sae_id, feature_index, label, modality) VALUES (?, 17, 'goldfish', 'image'), (?, 62, NULL, 'text')`,
      )
      .run(saeId, saeId);
    const found = await features('two-rows', 2);
    expect(found.value.top).toEqual([
      { feature: 17, cosine: expect.any(Number), mined: true, label: 'goldfish', modality: 'image' },
      { feature: 62, cosine: expect.any(Number), mined: true, label: null, modality: 'text' },
    ]);
  });

  it('refuses a vector of another d_model, an unknown SAE and an SAE file changed since import', async () => {
    await storeVector('short', [1, 2, 3]);
    const short = await features('short', 5);
    expect(short.code).toBe(2);
    expect(short.value.error.message).toMatch(/vector "short" has d_model 3 but SAE "sae96" reads d_in 256/);
    expect((await features('two-rows', 5, 'nope')).value.error.code).toBe('not_found');
    const changed = { ...sae, W_dec: Float32Array.from(sae.W_dec, (x) => x * 2) };
    writeSaeLensDir(saeDir, changed);
    const refused = await features('two-rows', 5);
    expect(refused.code).toBe(1);
    expect(refused.value.error.message).toMatch(/SAE "sae96" changed since it was imported/);
  });

  it('ranks ties by feature index and refuses a zero vector (the plain function)', () => {
    const W = Float32Array.from([1, 0, 0, 1, 2, 0, 0, 0, -1, 0]);
    expect(rankDecoderCosines(W, 2, 5, Float32Array.from([1, 0]), 2, 'sae.safetensors')).toEqual({
      top: [
        { feature: 0, cosine: 1 },
        { feature: 2, cosine: 1 },
      ],
      bottom: [
        { feature: 4, cosine: -1 },
        { feature: 1, cosine: 0 },
      ],
      zeroRows: 1,
    });
    expect(() => rankDecoderCosines(W, 2, 5, Float32Array.from([0, 0]), 2, 'sae.safetensors')).toThrow(/all zeros/);
    expect(() => rankDecoderCosines(W, 2, 5, Float32Array.from([Number.NaN, 1]), 2, 'sae.safetensors')).toThrow(
      /the vector holds NaN or Infinity/,
    );
  });

  it('refuses an SAE whose decoder has a NaN or infinite row, naming the file, W_dec and the row', () => {
    // Skipped like a zero row, a NaN row would leave a ranking that looks whole from a broken SAE,
    // and NaN cosines break the sort's order for the other rows too.
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const W = Float32Array.from([1, 0, 0, 1, 2, 0, 0.5, bad, -1, 0]);
      let thrown: unknown;
      try {
        rankDecoderCosines(W, 2, 5, Float32Array.from([1, 0]), 2, 'sae_weights.safetensors');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({
        code: 'bad_file',
        message: `sae_weights.safetensors: W_dec row 3: expected finite values (a decoder row with NaN or Infinity leaves the ranking meaningless), found ${bad} at column 1`,
      });
    }
  });
});
