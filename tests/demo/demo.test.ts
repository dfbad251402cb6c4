// The demo project is made by the real pipeline (issue 3): planted concepts in synthetic activations,
// SAELens SAEs that read them, import-sae + import-activations + mine. These tests check that mining
// recovers what was planted, against the PNGs and tokens, and that sharing grows with depth; and that
// the study on the tiny LLaVA-NeXT (issues 13 and 14: capture, probe, sweep; the model: tiny-model.test.ts
// and tiny-llava.test.ts) holds rollouts that are the model's own output and switch with k.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoProject } from '../../src-main/demo/create';
import { patchMatches } from '../../src-main/demo/activations';
import { CONCEPTS, readsImages, readsText } from '../../src-main/demo/concepts';
import { drawDemoImages, type DemoImage } from '../../src-main/demo/images';
import { openProject, type Project } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';
import { getFeature } from '../../src-main/store/features';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { AppError } from '../../src-main/util/errors';
import { generateOnce } from '../../src-main/steer/generate';
import {
  CAPTURE_LAYERS,
  PAIRS,
  pictureCorpusOf,
  probeVectorName,
  STEERED_VARIANTS,
  STEERING_KS,
  STEERING_TOKENS,
} from '../../src-main/demo/steering';
import { TINY_MODEL_NAME } from '../../src-main/demo/tiny-model';
import { TINY_SENTENCES } from '../../src-main/demo/tiny-script';
import { TINY_STEER_LAYER } from '../../src-main/demo/tiny-weights';
import type { PictogramClass } from '../../src-main/demo/pictograms';
import { insertWeightlessModel } from '../../src-main/store/models';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const LAYERS = [5, 10, 15, 20];
const D_SAE = 48;
/** The study's jobs after the four mines: capture, probe, and one sweep per class pair. */
const STUDY_JOBS = ['capture', 'probe', ...PAIRS.map(() => 'sweep')];
const folders: string[] = [];

function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-demo-'));
  folders.push(dir);
  return path.join(dir, 'demo.sightline');
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

const sha256Of = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const count = (project: Project, table: string) =>
  project.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
  return [];
}

const argmax = (values: number[]) => values.reduce((best, value, i) => (value > values[best] ? i : best), 0);

interface FeatureRow {
  id: number;
  sae: string;
  layer: number;
  feature_index: number;
  modality: string;
  fire_count: number;
  image_count: number;
  text_count: number;
  token_count: number;
  density: number;
  histogram_json: string;
  label: string | null;
  planted: string | null;
  variant: 'shared' | 'image' | 'text' | null;
}

const featureRows = (project: Project) =>
  project.db
    .prepare(
      `SELECT f.id, s.name AS sae, s.layer, f.feature_index, f.modality, f.fire_count, f.image_count, f.text_count, f.token_count, f.density,
              f.histogram_json, f.label, json_extract(f.stats_json, '$.planted') AS planted, json_extract(f.stats_json, '$.planted_variant') AS variant
       FROM features f JOIN saes s ON s.id = f.sae_id ORDER BY s.layer, f.feature_index`,
    )
    .all() as FeatureRow[];

/** Share of a patch's pixels that are saturated red, read from the PNG itself. */
function redShares(file: string, rows: number, cols: number): number[] {
  const png = PNG.sync.read(fs.readFileSync(file));
  const patchWidth = png.width / cols;
  const patchHeight = png.height / rows;
  return Array.from({ length: rows * cols }, (_, p) => {
    const [row, col] = [Math.floor(p / cols), p % cols];
    let red = 0;
    for (let y = row * patchHeight; y < (row + 1) * patchHeight; y++) {
      for (let x = col * patchWidth; x < (col + 1) * patchWidth; x++) {
        const at = (y * png.width + x) * 4;
        if (png.data[at] > 150 && png.data[at + 1] < 100 && png.data[at + 2] < 100) red++;
      }
    }
    return red / (patchWidth * patchHeight);
  });
}

let first: string;
let second: string;
let project: Project;
let features: FeatureRow[];
let imagesBySha: Map<string, DemoImage>;

const infoLines: string[] = [];

beforeAll(async () => {
  first = freshDir();
  second = freshDir();
  const started = performance.now();
  await createDemoProject(first, { info: (line) => infoLines.push(line) });
  // Printed, never asserted: the demo should take well under a minute on CPU.
  console.log(`sightline demo: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await createDemoProject(second);
  project = openProject(first);
  features = featureRows(project);
  imagesBySha = new Map(
    drawDemoImages().map((image) => [crypto.createHash('sha256').update(image.png).digest('hex'), image]),
  );
});

afterAll(() => {
  project?.close();
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

describe('createDemoProject', () => {
  it('fills the project: images on disk, one imported corpus and SAE per layer, features, steered rollouts and two campaigns', () => {
    const pngs = filesUnder(path.join(first, 'media')).filter((file) => file.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(30);
    for (const file of pngs) expect(fs.readFileSync(file).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(count(project, 'media')).toBe(pngs.length);
    // The drawn images in each planted layer's corpus, and the 36 pictograms in each captured layer's.
    expect(count(project, "documents WHERE kind = 'multimodal'")).toBe(36 * (LAYERS.length + CAPTURE_LAYERS.length));
    expect(count(project, "documents WHERE kind = 'text'")).toBe(40 * LAYERS.length);
    expect(count(project, 'features')).toBe(D_SAE * LAYERS.length);
    expect(count(project, 'generations')).toBeGreaterThanOrEqual(30);
    // One steering spec per sweep and k, shared by the pictures steered alike.
    expect(count(project, 'steering_specs')).toBe(PAIRS.length * STEERING_KS.length);
    expect(project.db.prepare('SELECT kind, state FROM jobs ORDER BY id').all()).toEqual(
      [...LAYERS.map(() => 'mine'), ...STUDY_JOBS].map((kind) => ({ kind, state: 'done' })),
    );

    const campaigns = project.db
      .prepare(
        'SELECT c.name, c.template_id AS templateId, c.overlap, COUNT(i.id) AS items FROM campaigns c JOIN items i ON i.campaign_id = c.id GROUP BY c.id ORDER BY c.id',
      )
      .all();
    expect(campaigns).toEqual([
      { name: 'Label features', templateId: 'feature-label', overlap: 2, items: 12 },
      { name: 'Which concept?', templateId: 'concept-choice', overlap: 3, items: count(project, 'generations') },
    ]);
    const meta = Object.fromEntries(
      project.db
        .prepare('SELECT key, value FROM project_meta')
        .all()
        .map((row) => [(row as { key: string }).key, (row as { value: string }).value]),
    );
    expect(meta).toMatchObject({ demo: 'v4', created_by: 'sightline demo' });
  });

  it('references its generated SAEs and shards inside the project by relative path and sha256, like any import', () => {
    const saes = project.db
      .prepare(
        'SELECT s.name, s.format, s.architecture, s.layer, s.d_in, s.d_sae, s.path, s.sha256, m.name AS model FROM saes s JOIN models m ON m.id = s.model_id ORDER BY s.layer',
      )
      .all() as {
      name: string;
      format: string;
      architecture: string;
      layer: number;
      d_in: number;
      d_sae: number;
      path: string;
      sha256: string;
      model: string;
    }[];
    expect(
      saes.map(({ name, format, architecture, layer, d_in, d_sae, model }) => ({
        name,
        format,
        architecture,
        layer,
        d_in,
        d_sae,
        model,
      })),
    ).toEqual(
      LAYERS.map((layer) => ({
        name: `demo-sae-L${String(layer).padStart(2, '0')}`,
        format: 'saelens',
        architecture: 'relu',
        layer,
        d_in: 64,
        d_sae: D_SAE,
        model: 'demo-vlm',
      })),
    );
    // Inside the project folder, so recorded relative to it: the folder can be zipped with its data.
    for (const sae of saes) {
      expect(sae.path).toMatch(/^demo-data\//);
      expect(fs.existsSync(path.join(first, sae.path, 'cfg.json'))).toBe(true);
      expect(sha256Of(path.join(first, sae.path, 'sae_weights.safetensors'))).toBe(sae.sha256);
    }
    const shards = project.db
      .prepare(
        'SELECT c.name, c.source_json, a.path, a.sha256, a.shape_json FROM activation_shards a JOIN corpora c ON c.id = a.corpus_id ORDER BY c.id',
      )
      .all() as {
      name: string;
      source_json: string;
      path: string;
      sha256: string;
      shape_json: string;
    }[];
    expect(shards.map((shard) => [shard.name, JSON.parse(shard.source_json).layer])).toEqual([
      ...LAYERS.map((layer) => [`demo-corpus-L${String(layer).padStart(2, '0')}`, layer]),
      ...CAPTURE_LAYERS.map((layer) => [pictureCorpusOf(layer), layer]),
    ]);
    for (const shard of shards) {
      // Imported files and capture's own shards (activations/capture-<id>/) alike.
      expect(shard.path).toMatch(/^(demo-data|activations)\//);
      expect(sha256Of(path.join(first, shard.path))).toBe(shard.sha256);
      expect(JSON.parse(shard.shape_json)[1]).toBe(64);
    }
  });

  it('mines consistent stats: density, modality counts, histograms; dead features are exactly the unplanted ones', () => {
    const modalities = new Set(features.map((feature) => feature.modality));
    for (const modality of ['image', 'text', 'shared', 'dead']) expect(modalities).toContain(modality);
    for (const feature of features) {
      expect(feature.fire_count).toBe(feature.image_count + feature.text_count);
      expect(feature.density).toBeCloseTo(feature.fire_count / feature.token_count, 12);
      expect(feature.modality === 'dead', `${feature.sae} #${feature.feature_index}`).toBe(feature.planted === null);
      if (feature.modality === 'dead') continue;
      const histogram = JSON.parse(feature.histogram_json) as { edges: number[]; counts: number[] };
      expect(histogram.edges).toHaveLength(histogram.counts.length + 1);
      expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(feature.fire_count);
    }
    // Every content row (patch or token) of a layer's corpus is counted once, BOS rows never.
    const contentRows = project.db
      .prepare(
        "SELECT SUM(json_array_length(tokens_json)) + 144 * SUM(kind = 'multimodal') FROM documents WHERE corpus_id = (SELECT MIN(id) FROM corpora)",
      )
      .pluck()
      .get() as number;
    expect(new Set(features.map((feature) => feature.token_count))).toEqual(new Set([contentRows]));

    const live = features.filter((feature) => feature.modality !== 'dead');
    const labelled = live.filter((feature) => feature.label !== null).length;
    expect(labelled).toBeGreaterThan(live.length / 3);
    expect(labelled).toBeLessThan((live.length * 2) / 3);
  });

  it('recovers every planted concept: each feature fires on the patches and tokens that show its concept', () => {
    const conceptOf = new Map(CONCEPTS.map((concept) => [concept.planted, concept]));
    for (const feature of features.filter((row) => row.planted !== null)) {
      const name = `${feature.sae} #${feature.feature_index} (${feature.variant}: ${feature.planted})`;
      const concept = conceptOf.get(feature.planted!)!;
      expect(feature.fire_count, name).toBeGreaterThan(0);
      const imageSide = feature.variant !== 'text';
      const textSide = feature.variant !== 'image';
      // A direction written by one modality only is read on that modality only.
      if (!imageSide) expect(feature.image_count, name).toBe(0);
      if (!textSide) expect(feature.text_count, name).toBe(0);
      if (imageSide && textSide) expect(feature.image_count > 0 && feature.text_count > 0, name).toBe(true);
      const detail = getFeature(project.db, feature.id);
      const top = detail.examples.filter((example) => example.bucket === 'top');
      expect(top.length, name).toBeGreaterThan(0);
      for (const example of top) {
        if (example.image && imageSide && readsImages(concept)) {
          const truth = patchMatches(concept, imagesBySha.get(example.image.sha256)!);
          const { patches } = example.image;
          const peak = Math.max(...patches);
          if (peak > 0) {
            // The strongest patch is one of the image's best matches (jitter may reorder near-equals).
            expect(truth[argmax(patches)], name).toBeGreaterThanOrEqual(0.5 * Math.max(...truth));
            patches.forEach((value, p) => {
              if (truth[p] === 0) expect(value, `${name}, patch ${p}`).toBeLessThan(peak / 4);
            });
          }
        }
        if (example.image) {
          if (!imageSide) expect(Math.max(...example.image.patches), name).toBe(0);
        }
        if (example.tokens && textSide && readsText(concept)) {
          const words = example.tokens.map((token) => token.token);
          const values = example.tokens.map((token) => token.value);
          if (Math.max(...values) > 0)
            expect(concept.token!(words, argmax(values)), `${name}: ${words.join('')}`).toBe(1);
        }
        if (example.tokens && !textSide) expect(Math.max(...example.tokens.map((token) => token.value)), name).toBe(0);
      }
    }
  });

  it('makes the layer-20 "red things" feature fire on red pixels (read from the PNG) and on the token " red"', () => {
    const row = features.find((feature) => feature.layer === 20 && feature.label === 'red things')!;
    expect(row).toBeDefined();
    const detail = getFeature(project.db, row.id);
    expect(detail.feature.modality).toBe('shared');

    const topImage = detail.examples.find((example) => example.bucket === 'top' && example.image !== null)!;
    expect(topImage).toBeDefined();
    const { sha256, rows, cols, patches } = topImage.image!;
    const redShare = redShares(project.media.pathOf(sha256)!, rows, cols);
    const peak = Math.max(...patches);
    expect(peak).toBeGreaterThan(0);
    expect(redShare[argmax(patches)]).toBeGreaterThanOrEqual(0.5);
    patches.forEach((value, p) => {
      if (value >= peak / 2) expect(redShare[p]).toBeGreaterThan(0.25);
      if (redShare[p] === 0) expect(value).toBeLessThan(peak / 4);
    });

    const topText = detail.examples.find((example) => example.image === null && example.tokens !== null)!;
    expect(topText).toBeDefined();
    expect(topText.tokens![argmax(topText.tokens!.map((token) => token.value))].token).toBe(' red');
    expect(topImage.tokens![argmax(topImage.tokens!.map((token) => token.value))].token).toBe(' red');
  });

  it('splits red at layer 5: an image-only feature on red patches and a text-only feature on " red"', () => {
    const image = features.find((feature) => feature.layer === 5 && feature.label === 'red pixels')!;
    const text = features.find((feature) => feature.layer === 5 && feature.label === 'the word "red"')!;
    expect([image.modality, image.text_count, text.modality, text.image_count]).toEqual(['image', 0, 'text', 0]);
    const topImage = getFeature(project.db, image.id).examples.find((example) => example.bucket === 'top')!;
    const shares = redShares(project.media.pathOf(topImage.image!.sha256)!, 12, 12);
    expect(shares[argmax(topImage.image!.patches)]).toBeGreaterThanOrEqual(0.5);
    const topText = getFeature(project.db, text.id).examples.find((example) => example.bucket === 'top')!;
    expect(topText.tokens![argmax(topText.tokens!.map((token) => token.value))].token).toBe(' red');
    expect(Math.max(...(topText.image?.patches ?? [0]))).toBe(0);
  });

  it('shares more features between image and text at deeper layers', () => {
    const shared = LAYERS.map(
      (layer) => features.filter((feature) => feature.layer === layer && feature.modality === 'shared').length,
    );
    const sharedDirections = LAYERS.map(
      (layer) => features.filter((feature) => feature.layer === layer && feature.variant === 'shared').length,
    );
    expect(shared[3]).toBeGreaterThan(shared[0]);
    for (let i = 1; i < LAYERS.length; i++) {
      expect(shared[i]).toBeGreaterThanOrEqual(shared[i - 1]);
      expect(sharedDirections[i]).toBeGreaterThan(sharedDirections[i - 1]);
    }
    // Layer 5 is almost all single-modality: one shared direction (circles) among the planted ones.
    expect(sharedDirections[0]).toBe(1);
    expect(shared[0]).toBeLessThanOrEqual(1);
  });

  it("decodes the pictures' class at layers 0 and 1 (probe), and its rollouts are the tiny model's: the source's sentence, then the target's from some k on, as generate --image gives", async () => {
    // The probe run (the Probes page's): every held-out picture classified right at layers 0 and 1.
    const runs = project.db.prepare('SELECT summary_json FROM probe_runs').pluck().all() as string[];
    expect(runs).toHaveLength(1);
    const { layers } = JSON.parse(runs[0]) as {
      layers: { layer: number; documents: number; logistic: { validationAccuracy: number } }[];
    };
    expect(layers.map((l) => [l.layer, l.documents, l.logistic.validationAccuracy])).toEqual(
      CAPTURE_LAYERS.map((layer) => [layer, 36, 1]),
    );
    expect(infoLines.some((line) => line.includes('probe validation accuracy L0 1, L1 1;'))).toBe(true);
    const rows = project.db
      .prepare(
        'SELECT g.prompt, g.output_text, g.media_sha256, g.meta_json, s.layer, s.positions FROM generations g JOIN steering_specs s ON s.id = g.steering_spec_id ORDER BY g.id',
      )
      .all() as {
      prompt: string;
      output_text: string;
      media_sha256: string;
      meta_json: string;
      layer: number;
      positions: string;
    }[];
    expect(rows).toHaveLength(PAIRS.length * STEERED_VARIANTS.length * STEERING_KS.length);
    const targetByK = new Map<number, number>();
    const byPicture = new Map<string, { k: number; text: string; target: string; source: string }[]>();
    for (const row of rows) {
      const meta = JSON.parse(row.meta_json) as {
        k: number;
        source_class: PictogramClass;
        target_class: PictogramClass;
        image: { document: string };
        distractors: string[];
      };
      expect([row.prompt, row.layer, row.positions]).toEqual([
        'What is shown in this image?',
        TINY_STEER_LAYER,
        'prompt',
      ]);
      expect(meta.image.document.startsWith(`${meta.source_class}/`)).toBe(true);
      // Two distractors, as the campaign's items (and `campaign create --from generations`) offer them.
      expect(meta.distractors).toHaveLength(2);
      expect(meta.distractors).not.toContain(meta.source_class);
      expect(meta.distractors).not.toContain(meta.target_class);
      expect(project.media.pathOf(row.media_sha256)).toBeDefined();
      const key = `${meta.source_class} -> ${meta.target_class}: ${meta.image.document}`;
      byPicture.set(key, [
        ...(byPicture.get(key) ?? []),
        { k: meta.k, text: row.output_text, source: meta.source_class, target: meta.target_class },
      ]);
      if (row.output_text === TINY_SENTENCES[meta.target_class])
        targetByK.set(meta.k, (targetByK.get(meta.k) ?? 0) + 1);
    }
    for (const [key, runs] of byPicture) {
      // The source's sentence at k = 0, the target's at k = 30, and one switch between them.
      const texts = runs.sort((a, b) => a.k - b.k).map((run) => run.text);
      const switchAt = texts.indexOf(TINY_SENTENCES[runs[0].target as PictogramClass]);
      expect(switchAt, key).toBeGreaterThan(0);
      expect(texts, key).toEqual(
        texts.map((_, i) => TINY_SENTENCES[(i < switchAt ? runs[0].source : runs[0].target) as PictogramClass]),
      );
    }
    // The steering curve: the share of answers about the target rises with k, from none to all.
    const shares = STEERING_KS.map((k) => targetByK.get(k) ?? 0);
    expect(shares[0]).toBe(0);
    expect(shares.at(-1)).toBe(PAIRS.length * STEERED_VARIANTS.length);
    expect(shares).toEqual([...shares].sort((a, b) => a - b));

    // Generated again, the first pair's first picture either side of its switch, by `generate --image`.
    const [source, target] = PAIRS[0];
    const image = path.join(first, 'demo-data', 'pictures', source, `${STEERED_VARIANTS[0]}.png`);
    for (const row of rows.slice(0, STEERING_KS.length)) {
      const meta = JSON.parse(row.meta_json) as { k: number; generated_ids: number[] };
      const again = await generateOnce(project, {
        model: TINY_MODEL_NAME,
        prompt: row.prompt,
        image,
        chat: false,
        steer: {
          vector: probeVectorName(source, target),
          layer: TINY_STEER_LAYER,
          method: 'add',
          k: meta.k,
          positions: 'prompt',
        },
        tokens: STEERING_TOKENS,
        stopAtEos: false,
        provider: 'cpu',
      });
      expect([again.text, again.generatedIds], `k = ${meta.k}`).toEqual([row.output_text, meta.generated_ids]);
    }
    expect(project.db.prepare('SELECT COUNT(*) FROM corpora WHERE name = ?').pluck().get(pictureCorpusOf(1))).toBe(1);
  });

  it('is deterministic: two demo folders have the same files, media, mined features and examples', () => {
    const relative = (root: string) =>
      filesUnder(path.join(root, 'demo-data'))
        .map((file) => [path.relative(root, file), sha256Of(file)])
        .sort();
    expect(relative(second)).toEqual(relative(first));
    const other = openProject(second);
    try {
      for (const query of [
        'SELECT sha256, bytes, width, height, original_name FROM media ORDER BY sha256',
        'SELECT * FROM features ORDER BY id',
        'SELECT feature_id, document_id, bucket, rank, max_activation, token_acts_json, patch_acts_json FROM examples ORDER BY id',
        'SELECT corpus_id, external_id, kind, text, tokens_json, media_sha256, meta_json FROM documents ORDER BY id',
        'SELECT sha256, rows, shape_json, layout_json FROM activation_shards ORDER BY id',
        'SELECT output_text, meta_json FROM generations ORDER BY id',
        'SELECT campaign_id, position, payload_json, hidden_json, condition FROM items ORDER BY id',
      ]) {
        // Captured and swept images record where they were read: the same place in each folder.
        const rows = (p: Project, dir: string) =>
          JSON.stringify(p.db.prepare(query).all()).replaceAll(dir, '<project>');
        expect(rows(other, second)).toEqual(rows(project, first));
      }
    } finally {
      other.close();
    }
  });

  it('keeps conditions out of what raters see in "Which concept?" and "Label features"', () => {
    const rows = project.db
      .prepare(
        "SELECT i.position, i.payload_json, i.hidden_json, i.condition FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = 'Which concept?' ORDER BY i.position",
      )
      .all() as { position: number; payload_json: string; hidden_json: string; condition: string }[];
    const forbidden = ['k', 'target_class', 'source_class', 'correct', 'layer', 'generation_id'];
    for (const row of rows) {
      const payload = JSON.parse(row.payload_json) as { options: string[]; answer: string; image: string };
      const hidden = JSON.parse(row.hidden_json) as { target_class: string; correct: string; k: number };
      expect(keysOf(payload).filter((key) => forbidden.includes(key))).toEqual([]);
      expect(payload.options).toEqual([...payload.options].sort());
      expect(payload.options).toHaveLength(4);
      expect(payload.options).toContain(hidden.correct);
      expect(row.condition).toBe(`k=${hidden.k}`);
      expect(project.media.pathOf(payload.image)).toBeDefined();
    }
    // The answers are the tiny model's output now, so the demo no longer splices markup into them;
    // rendering markup as text is tests/e2e/untrusted-text.e2e.test.ts's.

    const labelItems = project.db
      .prepare(
        "SELECT i.payload_json, i.hidden_json FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = 'Label features' ORDER BY i.position",
      )
      .all() as { payload_json: string; hidden_json: string }[];
    for (const item of labelItems) {
      const payload = JSON.parse(item.payload_json) as { feature: { examples: unknown[] } };
      const hidden = JSON.parse(item.hidden_json) as {
        feature_id: number;
        feature_index: number;
        sae: string;
        layer: number;
        planted: string;
      };
      expect(payload.feature.examples.length).toBeGreaterThan(0);
      expect(payload.feature.examples.length).toBeLessThanOrEqual(5);
      // Nor the feature index (issue 11): the rater sees the examples, nothing that names the feature.
      for (const key of ['feature_id', 'featureIndex', 'label', 'planted', 'planted_variant', 'sae', 'layer'])
        expect(keysOf(payload)).not.toContain(key);
      expect(JSON.stringify(payload)).not.toContain(hidden.planted);
      // The item points at a mined feature of the named SAE; its index stays on the researcher's side.
      const feature = features.find((row) => row.id === hidden.feature_id)!;
      expect([feature.sae, feature.layer, feature.feature_index, feature.planted]).toEqual([
        hidden.sae,
        hidden.layer,
        hidden.feature_index,
        hidden.planted,
      ]);
    }
  });

  it('is idempotent on a demo folder and refuses a folder with other campaigns', async () => {
    const before = count(project, 'features');
    await createDemoProject(first);
    expect(count(project, 'features')).toBe(before);
    expect(count(project, 'jobs')).toBe(LAYERS.length + STUDY_JOBS.length);

    const busy = freshDir();
    const other = openProject(busy, { create: true });
    insertCampaign(
      other.db,
      {
        name: 'Mine',
        template: BUILTIN_TEMPLATES['feature-label'],
        instructions: '',
        overlap: 1,
        leaseSeconds: 60,
        seed: 0,
      },
      [],
    );
    other.close();
    const error = await createDemoProject(busy).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('conflict');
  });

  it('writes nothing when it fails half-way, after import and mining have committed', async () => {
    const dir = freshDir();
    const blocked = openProject(dir, { create: true });
    // A model named like the demo's stand-in VLM: the demo's last transaction (after import, mining and
    // the sweeps have committed) hits UNIQUE(name).
    insertWeightlessModel(blocked.db, 'demo-vlm', {}, 0);
    blocked.close();
    await expect(createDemoProject(dir)).rejects.toThrow(/UNIQUE constraint failed: models.name/);
    const reopened = openProject(dir);
    try {
      for (const table of [
        'probe_runs',
        'media',
        'documents',
        'corpora',
        'activation_shards',
        'saes',
        'vectors',
        'steering_specs',
        'features',
        'examples',
        'jobs',
        'generations',
        'campaigns',
        'project_meta',
      ]) {
        expect(count(reopened, table), table).toBe(0);
      }
      expect(count(reopened, 'models')).toBe(1);
      expect(fs.existsSync(path.join(dir, 'demo-data'))).toBe(false);
      expect(filesUnder(path.join(dir, 'media'))).toEqual([]);
      expect(filesUnder(path.join(dir, 'activations'))).toEqual([]);
    } finally {
      reopened.close();
    }
  });
});
