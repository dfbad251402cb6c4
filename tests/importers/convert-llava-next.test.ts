// scripts/convert-llava-next.ts on a tiny made-up LLaVA-NeXT layout (4x4 patch tiles instead of
// 24x24): the sidecar it writes imports, mining it sees exactly the content rows, and it stores
// every tile's values (issue 3 shows the base image and the anyres tiles separately, each with its
// heatmap) equal to the plain-TypeScript reference encoder's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadSae } from '../../src-main/engine/formats/detect';
import { encodeReference } from '../../src-main/engine/reference';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { mine } from '../../src-main/mining/mine';
import { decodeActs } from '../../src-main/store/acts-json';
import { getFeature } from '../../src-main/store/features';
import { convertLlavaNextLayout, unpaddedGrid, type Layout } from '../../scripts/convert-llava-next';
import { randomInputs, randomSae, safetensorsBytes, writeSaeLensDir } from '../engine/fixtures';
import { makeProject, tempDir } from '../helpers/factories';

const D_SAE = 16;
const SCRIPT = path.resolve(__dirname, '../../scripts/convert-llava-next.ts');
const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { encoding: 'utf8' });

const layout: Layout = {
  d_in: 8,
  model: 'tiny-llava-next',
  layer: 3,
  patch_grid: 4,
  shards: [
    {
      path: 'acts-0.safetensors',
      tensor: 'activations',
      documents: [
        // 1x2 tiles -> a 4x8 anyres map; a 64x16 image is wider than 8:4, so unpadding keeps 2 of its 4 rows.
        {
          id: 'img-0',
          image: 'img.png',
          image_size: [64, 16],
          tiles: [1, 2],
          tokens: ['<s>', '[INST]', '<image>', '\n', 'What', '?', '[/INST]'],
        },
        { id: 'txt-1', tokens: ['<s>', 'hi', ' there'] },
      ],
    },
  ],
};

interface SidecarSegment {
  document: string;
  kind: 'text' | 'image' | 'special';
  count?: number;
  tile?: number;
  newline?: boolean;
}
interface Sidecar {
  documents: { id: string; tiles?: { rows: number; cols: number }[] }[];
  shards: { segments: SidecarSegment[] }[];
}

/** The shard rows of each tile of `doc`, row-major within the tile, read off the sidecar's segments. */
function tileRows(sidecar: Sidecar, doc: string): number[][] {
  const gridsOf = (id: string) => sidecar.documents.find((d) => d.id === id)!.tiles!;
  const tiles: number[][] = gridsOf(doc).map(() => []);
  let row = 0;
  for (const segment of sidecar.shards[0].segments) {
    if (segment.kind !== 'image') {
      row += segment.count!;
      continue;
    }
    const { rows, cols } = gridsOf(segment.document)[segment.tile!];
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) if (segment.document === doc) tiles[segment.tile!].push(row + x);
      row += cols + (segment.newline ? 1 : 0);
    }
  }
  return tiles;
}

const close = (got: number, want: number) => Math.abs(got - want) <= 1e-4 * Math.max(1, Math.abs(want)) + 5e-5;

describe('convert-llava-next', () => {
  it('unpads like HF unpad_image (2x2 tiles of 24, a 500x375 image -> 36x48)', () => {
    expect(unpaddedGrid(48, 48, 500, 375)).toEqual({ rows: 36, cols: 48 });
    expect(unpaddedGrid(48, 48, 375, 500)).toEqual({ rows: 48, cols: 36 });
    expect(unpaddedGrid(48, 96, 672, 336)).toEqual({ rows: 48, cols: 96 });
  });

  it('prints --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: .*convert-llava-next\.ts --in LAYOUT\.json --out SIDECAR\.json/);
    expect(r.stdout).toMatch(/image_newline|image-newline/);
  });

  it('writes a sidecar that imports and mines: base tile, unpadded anyres map with newline rows excluded, specials excluded', async () => {
    const dir = tempDir();
    const { sidecar, rows } = convertLlavaNextLayout(layout);
    // <s> [INST] | 16 base patches | 2 x (8 + newline) | \n What ? | [/INST]  ||  <s> | hi there
    expect(rows).toEqual([1 + 1 + 16 + 18 + 3 + 1 + 1 + 2]);
    expect((sidecar as { shards: { segments: unknown[] }[] }).shards[0].segments).toEqual([
      { document: 'img-0', kind: 'special', count: 1, label: '<s>' },
      { document: 'img-0', kind: 'special', count: 1, label: '[INST]' },
      { document: 'img-0', kind: 'image', tile: 0 },
      { document: 'img-0', kind: 'image', tile: 1, newline: true },
      { document: 'img-0', kind: 'text', start: 0, count: 3 },
      { document: 'img-0', kind: 'special', count: 1, label: '[/INST]' },
      { document: 'txt-1', kind: 'special', count: 1, label: '<s>' },
      { document: 'txt-1', kind: 'text', start: 0, count: 2 },
    ]);

    const png = new PNG({ width: 64, height: 16 });
    fs.writeFileSync(path.join(dir, 'img.png'), PNG.sync.write(png));
    fs.writeFileSync(
      path.join(dir, 'acts-0.safetensors'),
      safetensorsBytes([{ name: 'activations', shape: [rows[0], 8], data: randomInputs(rows[0], 8) }]),
    );
    fs.writeFileSync(path.join(dir, 'layout.json'), JSON.stringify(layout));
    const out = path.join(dir, 'activations.json');
    const r = run(['--in', path.join(dir, 'layout.json'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('acts-0.safetensors: 43 rows expected');
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(sidecar);

    const project = makeProject();
    const imported = await importDenseActivations(project, out, 'llava');
    expect(imported).toMatchObject({ documents: 2, shards: 1, rows: 43, contentRows: 16 + 16 + 3 + 2 });
    const doc = project.db
      .prepare("SELECT kind, tokens_json, meta_json, media_sha256 FROM documents WHERE external_id = 'img-0'")
      .get() as Record<string, string>;
    expect(doc.kind).toBe('multimodal');
    expect(JSON.parse(doc.tokens_json)).toEqual(['\n', 'What', '?']);
    expect(JSON.parse(doc.meta_json).tiles).toEqual([
      { rows: 4, cols: 4 },
      { rows: 2, cols: 8 },
    ]);
    expect(doc.media_sha256).toMatch(/^[0-9a-f]{64}$/);

    const sae = writeSaeLensDir(path.join(dir, 'sae'), randomSae('relu', 8, 16, 5));
    await importSae(project, { path: sae, name: 'sae' });
    const summary = await mine(project, { sae: 'sae', corpus: 'llava', top: 2 });
    expect(summary).toMatchObject({ state: 'done', tokens: 37 });
    expect(project.db.prepare('SELECT MAX(token_count) FROM features').pluck().get()).toBe(37);
  });

  it('mines every tile: stored values of the base grid and the anyres tile equal the reference encoder, split per tile by getFeature', async () => {
    const dir = tempDir();
    const { sidecar, rows } = convertLlavaNextLayout(layout);
    const x = randomInputs(rows[0], 8, 11);
    fs.writeFileSync(path.join(dir, 'img.png'), PNG.sync.write(new PNG({ width: 64, height: 16 })));
    fs.writeFileSync(
      path.join(dir, 'acts-0.safetensors'),
      safetensorsBytes([{ name: 'activations', shape: [rows[0], 8], data: x }]),
    );
    fs.writeFileSync(path.join(dir, 'activations.json'), JSON.stringify(sidecar));
    const saeDir = writeSaeLensDir(path.join(dir, 'sae'), randomSae('relu', 8, D_SAE, 5));

    const project = makeProject();
    await importDenseActivations(project, path.join(dir, 'activations.json'), 'llava');
    await importSae(project, { path: saeDir, name: 'sae' });
    expect(await mine(project, { sae: 'sae', corpus: 'llava', top: 2 })).toMatchObject({ state: 'done' });

    const tiles = tileRows(sidecar as Sidecar, 'img-0');
    expect(tiles.map((t) => t.length)).toEqual([16, 16]);
    const dense = encodeReference(await loadSae(saeDir), x, rows[0]);
    const reference = (feature: number, tile: number) => tiles[tile].map((row) => dense[row * D_SAE + feature]);

    const imageExamples = project.db
      .prepare(
        `SELECT f.id AS featureId, f.feature_index AS feature, e.id, e.patch_acts_json, e.patch_rows, e.patch_cols
         FROM examples e JOIN features f ON f.id = e.feature_id JOIN documents d ON d.id = e.document_id
         WHERE d.external_id = 'img-0' ORDER BY f.feature_index`,
      )
      .all() as {
      featureId: number;
      feature: number;
      id: number;
      patch_acts_json: string;
      patch_rows: number;
      patch_cols: number;
    }[];
    expect(imageExamples.length).toBeGreaterThan(0);
    let anyresFiring = 0;
    for (const stored of imageExamples) {
      // Stored: the base grid's shape, and 16 base + 16 anyres values in tile order.
      expect([stored.patch_rows, stored.patch_cols]).toEqual([4, 4]);
      const values = decodeActs(stored.patch_acts_json, 'examples.patch_acts_json')!;
      expect(values).toHaveLength(32);

      const image = getFeature(project.db, stored.featureId).examples.find((e) => e.id === stored.id)!.image!;
      expect(image.patches).toEqual(values.slice(0, 16));
      expect(image.anyres).toEqual([{ tile: 1, rows: 2, cols: 8, patches: values.slice(16) }]);
      const want = [reference(stored.feature, 0), reference(stored.feature, 1)];
      [image.patches, image.anyres![0].patches!].forEach((got, tile) =>
        got.forEach((value, p) =>
          expect(
            close(value, want[tile][p]),
            `feature ${stored.feature} tile ${tile} patch ${p}: ${value} vs reference ${want[tile][p]}`,
          ).toBe(true),
        ),
      );
      if (image.anyres![0].patches!.some((value) => value > 0)) anyresFiring++;
    }
    // Not a comparison of zeros: some features fire on the anyres tile.
    expect(anyresFiring).toBeGreaterThan(0);
  });

  it('refuses an image document without exactly one <image> token, naming the document', () => {
    const bad: Layout = {
      d_in: 8,
      shards: [
        { path: 'a.npy', documents: [{ id: 'x', image: 'i.png', tiles: [1, 1], image_size: [4, 4], tokens: ['hi'] }] },
      ],
    };
    expect(() => convertLlavaNextLayout(bad)).toThrow(
      /shards\[0\]\.documents\[0\] \("x"\): expected exactly one "<image>" token/,
    );
  });
});
