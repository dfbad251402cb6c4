// `sightline capture --images` on the LLaVA-NeXT vision fixture (tests/fixtures/make_llava_vision_fixtures.py):
// the captured rows at layers 1 and 2 equal transformers' hidden_states[1] and [2] for the square, wide
// and tall images; the rows are laid out as the sidecar format says (special BOS, the base tile, the
// unpadded anyres map with its newline rows, the prompt's text); `sightline mine` on the corpus puts
// each patch's activation where the fixture's row for that patch says; fp16 shards are the fp32 values
// rounded; a cancelled capture resumes by chunk; and three `--shard i/3` runs then one without give the
// byte-identical shard files and the same corpus as one unsharded run.
//
// Tolerance: |captured - transformers| <= 1e-4 x the largest |value| of that row, the bar
// generate-image.test.ts holds the merged inputs_embeds and hidden states to: float32 through the
// vision tower (1e-5 relative, vision-tower.test.ts), packing (exact) and three decoder layers.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSae } from '../../src-main/engine/formats/detect.js';
import { openSafetensors, readSafetensor } from '../../src-main/engine/formats/safetensors.js';
import { encodeReference } from '../../src-main/engine/reference.js';
import { packedLayout } from '../../src-main/engine/vision/pack.js';
import { readVisionConfig } from '../../src-main/engine/vision/weights.js';
import { JobRunner } from '../../src-main/jobs/runner.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { type CaptureOptions, runCapture } from '../../src-main/steer/capture.js';
import { getCorpus } from '../../src-main/store/corpora.js';
import { getFeature } from '../../src-main/store/features.js';
import { randomSae, tempDir, writeSaeLensDir } from '../engine/fixtures.js';
import { importModel, runJson } from '../helpers/cli.js';
import { expectedTensor, expectedVision, IMAGE_NAMES, VISION_DIR } from './fixtures.js';

const D = 64;
const LAYERS = [1, 2];
let dir: string;
let imagesCsv: string;
const opened: Project[] = [];

async function newProject(name: string): Promise<Project> {
  const folder = path.join(dir, `${name}.sightline`);
  expect((await runJson(['init', '--project', folder])).code).toBe(0);
  await importModel(folder, VISION_DIR, 'vision');
  const project = openProject(folder);
  opened.push(project);
  return project;
}

/** Every row of a corpus, shard after shard, as float32. */
function corpusRows(project: Project, corpus: string): Float32Array {
  const parts = getCorpus(project, corpus).shards.map((s) => readSafetensor(openSafetensors(s.path), 'activations'));
  const rows = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (rows.set(p, at), at + p.length), 0);
  return rows;
}

const sidecarOf = (project: Project, corpus: string) =>
  JSON.parse(fs.readFileSync((getCorpus(project, corpus).source.sidecar as { path: string }).path, 'utf8'));

beforeAll(() => {
  dir = tempDir();
  imagesCsv = path.join(dir, 'images.csv');
  fs.writeFileSync(
    imagesCsv,
    `image,document,label\n${IMAGE_NAMES.map((n, i) => `${path.join(VISION_DIR, expectedVision().images[n].file)},${n},${i === 1 ? 'b' : 'a'}`).join('\n')}\n`,
  );
});

afterAll(() => {
  for (const p of opened) p.close();
});

const base = (): CaptureOptions => ({
  model: 'vision',
  layers: LAYERS,
  images: imagesCsv,
  prompt: expectedVision().prompt,
  batch: 2,
  chunk: 2,
  provider: 'cpu',
});

describe('sightline capture --images (LLaVA-NeXT)', () => {
  let f32: Project;

  it("captures transformers' hidden states at layers 1 and 2 for the square, wide and tall images", async () => {
    f32 = await newProject('f32');
    const summary = await runCapture(f32, { ...base(), corpus: 'img' });
    expect(summary).toMatchObject({ state: 'done', documents: 3, captured: 3, dtype: 'F32', shard: null });
    for (const L of LAYERS) {
      const rows = corpusRows(f32, `img-L${L}`);
      let at = 0;
      for (const name of IMAGE_NAMES) {
        const want = expectedTensor(name, `hidden_${L}`);
        const positions = expectedVision().images[name].expanded_ids.length;
        expect(want.shape).toEqual([positions, D]);
        for (let s = 0; s < positions; s++, at++) {
          const row = want.data.subarray(s * D, (s + 1) * D);
          const scale = Math.max(...row.map(Math.abs));
          for (let k = 0; k < D; k++)
            expect(Math.abs(rows[at * D + k] - row[k]), `${name} L${L} position ${s}`).toBeLessThanOrEqual(
              1e-4 * scale,
            );
        }
      }
      expect(rows.length).toBe(at * D);
    }
  });

  it('lays the rows out as the sidecar format says: BOS special, base tile, anyres map with newlines, prompt text', () => {
    const { config } = readVisionConfig(VISION_DIR);
    const sidecar = sidecarOf(f32, 'img-L2');
    const segments = sidecar.shards.flatMap((s: { segments: unknown[] }) => s.segments);
    IMAGE_NAMES.forEach((name, i) => {
      const want = expectedVision().images[name];
      const [height, width] = want.image_sizes;
      const doc = sidecar.documents[i];
      expect(doc.id).toBe(name);
      expect(doc.image).toBe(path.join(VISION_DIR, want.file));
      expect(doc.meta).toMatchObject({ label: i === 1 ? 'b' : 'a', image_size: [width, height] });
      const grid = doc.meta.anyres_grid as [number, number];
      expect(1 + grid[0] * grid[1]).toBe(want.tiles);
      const packed = packedLayout({ imageSize: [height, width], grid }, config);
      expect(doc.tiles).toEqual([
        { rows: 4, cols: 4 },
        { rows: packed.rows, cols: packed.cols },
      ]);
      expect(16 + packed.rows * (packed.cols + 1)).toBe(want.image_positions);
      expect(doc.tokens.join('')).toBe(' What is in this picture?');
      expect(segments.filter((s: { document: string }) => s.document === name)).toEqual([
        { document: name, kind: 'special', count: 1, label: '<s>' },
        { document: name, kind: 'image', tile: 0, newline: false },
        { document: name, kind: 'image', tile: 1, newline: true },
        { document: name, kind: 'text', start: 0, count: want.prompt_ids.length - 2 },
      ]);
    });
    // The importer copied each image into media/.
    const media = f32.db.prepare('SELECT COUNT(*) FROM documents WHERE media_sha256 IS NOT NULL').pluck().get();
    expect(media).toBeGreaterThanOrEqual(3);
  });

  it("mine on the captured corpus places every patch where transformers' row for that patch says", async () => {
    const D_SAE = 32;
    const saeDir = writeSaeLensDir(path.join(dir, 'sae'), randomSae('relu', D, D_SAE, 7));
    expect((await runJson(['import-sae', '--project', f32.dir, '--path', saeDir, '--name', 's'])).code).toBe(0);
    const mined = await runJson([
      'mine',
      '--project',
      f32.dir,
      '--sae',
      's',
      '--corpus',
      'img-L2',
      '--provider',
      'cpu',
    ]);
    expect(mined.code).toBe(0);
    // Content rows: every image patch (newline rows excluded) and the prompt's text tokens; BOS is not.
    const { config } = readVisionConfig(VISION_DIR);
    const sae = await loadSae(saeDir);
    const close = (got: number, want: number) => Math.abs(got - want) <= 1e-3 * Math.max(1, Math.abs(want));
    let checked = 0;
    let anyresFiring = 0;
    for (const name of IMAGE_NAMES) {
      const want = expectedVision().images[name];
      const [height, width] = want.image_sizes;
      const doc = sidecarOf(f32, 'img-L2').documents.find((d: { id: string }) => d.id === name);
      const packed = packedLayout({ imageSize: [height, width], grid: doc.meta.anyres_grid }, config);
      // transformers' rows of this image's patches: the base tile from the first image position on,
      // then the map row by row, each row followed by its image_newline position.
      const hidden = expectedTensor(name, 'hidden_2').data;
      const first = want.expanded_ids.indexOf(expectedVision().image_token_id);
      const positions = [
        Array.from({ length: 16 }, (_, p) => first + p),
        Array.from({ length: packed.rows * packed.cols }, (_, p) => {
          const r = Math.floor(p / packed.cols);
          return first + 16 + r * (packed.cols + 1) + (p % packed.cols);
        }),
      ];
      const encoded = positions.map((list) => {
        const x = new Float32Array(list.length * D);
        list.forEach((s, j) => x.set(hidden.subarray(s * D, (s + 1) * D), j * D));
        return encodeReference(sae, x, list.length);
      });
      const examples = f32.db
        .prepare(
          `SELECT f.id AS featureId, f.feature_index AS feature, e.id FROM examples e
           JOIN features f ON f.id = e.feature_id JOIN documents d ON d.id = e.document_id
           WHERE d.external_id = ? AND d.corpus_id = (SELECT id FROM corpora WHERE name = 'img-L2')`,
        )
        .all(name) as { featureId: number; feature: number; id: number }[];
      for (const stored of examples) {
        const image = getFeature(f32.db, stored.featureId).examples.find((e) => e.id === stored.id)!.image!;
        expect([image.rows, image.cols]).toEqual([4, 4]);
        expect(image.anyres).toHaveLength(1);
        expect(image.anyres![0]).toMatchObject({ tile: 1, rows: packed.rows, cols: packed.cols });
        [image.patches, image.anyres![0].patches!].forEach((got, tile) => {
          expect(got).toHaveLength(positions[tile].length);
          got.forEach((value, p) => {
            const reference = encoded[tile][p * D_SAE + stored.feature];
            expect(
              close(value, reference),
              `${name} feature ${stored.feature} tile ${tile} patch ${p}: ${value} vs ${reference}`,
            ).toBe(true);
          });
        });
        if (image.anyres![0].patches!.some((v) => v > 0)) anyresFiring++;
        checked++;
      }
    }
    // Not a comparison of zeros: image examples were checked, some firing on the anyres map.
    expect(checked).toBeGreaterThan(0);
    expect(anyresFiring).toBeGreaterThan(0);
  });

  /** Every shard file of a capture, by its path inside the capture folder. */
  const shardFiles = (folder: string) =>
    Object.fromEntries(
      LAYERS.flatMap((L) =>
        fs
          .readdirSync(path.join(folder, `L${L}`))
          .filter((f) => f.endsWith('.safetensors'))
          .map((f) => [`L${L}/${f}`, fs.readFileSync(path.join(folder, `L${L}`, f))]),
      ),
    );
  // One document per chunk, so three chunks: a resume and three shards have something to split.
  const f16 = (): CaptureOptions => ({ ...base(), corpus: 'h', dtype: 'F16', batch: 1, chunk: 1 });
  let once: { project: Project; folder: string };

  it('fp16 shards hold the fp32 rows rounded to half precision, and say so', async () => {
    const project = await newProject('once');
    const summary = await runCapture(project, f16());
    once = { project, folder: summary.folder };
    expect(summary).toMatchObject({ state: 'done', dtype: 'F16', captured: 3 });
    for (const L of LAYERS) {
      expect(getCorpus(project, `h-L${L}`).shards.map((s) => s.dtype)).toEqual(['F16', 'F16', 'F16']);
      const half = corpusRows(project, `h-L${L}`);
      const full = corpusRows(f32, `img-L${L}`);
      expect(half.length).toBe(full.length);
      for (let i = 0; i < full.length; i++)
        expect(Math.abs(half[i] - full[i])).toBeLessThanOrEqual(Math.abs(full[i]) * 2 ** -11 + 2 ** -24);
    }
  });

  it('a cancelled capture, run again, skips its finished chunks and ends byte for byte as one run', async () => {
    const project = await newProject('resume');
    const runner = new JobRunner();
    const first = await runCapture(project, {
      ...f16(),
      runner,
      progressIntervalMs: 0,
      // Cancel once the first chunk (one image) is through.
      listener: (e) => e.state === 'running' && e.done >= 1 && runner.cancel(),
    });
    expect(first).toMatchObject({ state: 'cancelled', captured: 1 });
    expect(first.corpora.every((c) => !c.imported)).toBe(true);
    const second = await runCapture(project, f16());
    expect(second).toMatchObject({ state: 'done', captured: 2 });
    expect(shardFiles(second.folder)).toEqual(shardFiles(once.folder));
    for (const L of LAYERS) expect(sidecarOf(project, `h-L${L}`)).toEqual(sidecarOf(once.project, `h-L${L}`));
  });

  it('three --shard runs capture their own chunks and import nothing; the run without --shard imports what one run would', async () => {
    const project = await newProject('sharded');
    for (let index = 0; index < 3; index++) {
      const summary = await runCapture(project, { ...f16(), shard: { index, count: 3 } });
      expect(summary).toMatchObject({ state: 'done', shard: `${index}/3`, captured: 1 });
      expect(summary.corpora.every((c) => !c.imported)).toBe(true);
      // Only its own chunk's shard files so far, in every layer.
      expect(Object.keys(shardFiles(summary.folder))).toHaveLength(2 * (index + 1));
      expect(fs.existsSync(path.join(summary.folder, `L1/acts-0000${index}.safetensors`))).toBe(true);
    }
    // Each shard's job was recorded in its own folder, not in the project.
    expect(project.db.prepare("SELECT COUNT(*) FROM jobs WHERE kind = 'capture'").pluck().get()).toBe(0);
    const final = await runCapture(project, f16());
    expect(final).toMatchObject({ state: 'done', shard: null, captured: 0, provider: null });
    expect(final.corpora.every((c) => c.imported)).toBe(true);
    expect(shardFiles(final.folder)).toEqual(shardFiles(once.folder));
    for (const L of LAYERS) {
      expect(sidecarOf(project, `h-L${L}`)).toEqual(sidecarOf(once.project, `h-L${L}`));
      expect(corpusRows(project, `h-L${L}`)).toEqual(corpusRows(once.project, `h-L${L}`));
    }
  });
});
