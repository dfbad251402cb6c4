import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoProject } from '../../src-main/demo/create';
import { openProject, type Project } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';
import { getFeature } from '../../src-main/store/features';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { AppError } from '../../src-main/util/errors';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
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

const count = (project: Project, table: string) => project.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
  return [];
}

const argmax = (values: number[]) => values.reduce((best, value, i) => (value > values[best] ? i : best), 0);

let first: string;
let second: string;
let project: Project;

beforeAll(() => {
  first = freshDir();
  second = freshDir();
  createDemoProject(first);
  createDemoProject(second);
  project = openProject(first);
});

afterAll(() => {
  project?.close();
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

describe('createDemoProject', () => {
  it('fills the project: images on disk, corpus, features, steered rollouts and two campaigns', () => {
    const pngs = filesUnder(path.join(first, 'media')).filter((file) => file.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(30);
    for (const file of pngs) expect(fs.readFileSync(file).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(count(project, 'media')).toBe(pngs.length);
    expect(count(project, "documents WHERE kind = 'multimodal'")).toBeGreaterThanOrEqual(30);
    expect(count(project, "documents WHERE kind = 'text'")).toBeGreaterThanOrEqual(20);
    expect(count(project, 'features')).toBeGreaterThanOrEqual(30);
    expect(count(project, 'generations')).toBeGreaterThanOrEqual(30);
    expect(count(project, 'steering_specs')).toBe(count(project, 'generations'));

    const campaigns = project.db
      .prepare('SELECT c.name, c.template_id AS templateId, c.overlap, COUNT(i.id) AS items FROM campaigns c JOIN items i ON i.campaign_id = c.id GROUP BY c.id ORDER BY c.id')
      .all();
    expect(campaigns).toEqual([
      { name: 'Label features', templateId: 'feature-label', overlap: 2, items: 12 },
      { name: 'Which concept?', templateId: 'concept-choice', overlap: 3, items: count(project, 'generations') },
    ]);
    const meta = Object.fromEntries(project.db.prepare('SELECT key, value FROM project_meta').all().map((row) => [(row as { key: string }).key, (row as { value: string }).value]));
    expect(meta).toMatchObject({ demo: 'v1', created_by: 'sightline demo' });
  });

  it('mines consistent stats: density, modality counts and a 20-bin histogram', () => {
    const features = project.db.prepare('SELECT * FROM features ORDER BY feature_index').all() as Record<string, number | string | null>[];
    const modalities = new Set(features.map((feature) => feature.modality));
    for (const modality of ['image', 'text', 'shared', 'dead']) expect(modalities).toContain(modality);
    for (const feature of features) {
      expect(feature.fire_count).toBe((feature.image_count as number) + (feature.text_count as number));
      expect(feature.density).toBeCloseTo((feature.fire_count as number) / (feature.token_count as number), 12);
      const histogram = JSON.parse(feature.histogram_json as string) as { edges: number[]; counts: number[] };
      if (feature.modality === 'dead') continue;
      expect(histogram.counts).toHaveLength(20);
      expect(histogram.edges).toHaveLength(21);
      expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(feature.fire_count);
    }
    const labelled = features.filter((feature) => feature.label !== null).length;
    expect(labelled).toBeGreaterThan(features.length / 3);
    expect(labelled).toBeLessThan((features.length * 2) / 3);
  });

  it('is deterministic: two demo folders have the same media and the same features', () => {
    const other = openProject(second);
    try {
      for (const query of [
        'SELECT sha256, bytes, width, height, original_name FROM media ORDER BY sha256',
        'SELECT * FROM features ORDER BY id',
        'SELECT feature_id, document_id, bucket, rank, max_activation, token_acts_json, patch_acts_json FROM examples ORDER BY id',
        'SELECT external_id, tokens_json, media_sha256, meta_json FROM documents ORDER BY id',
        'SELECT output_text, meta_json FROM generations ORDER BY id',
        'SELECT campaign_id, position, payload_json, hidden_json, condition FROM items ORDER BY id',
      ]) {
        expect(other.db.prepare(query).all()).toEqual(project.db.prepare(query).all());
      }
    } finally {
      other.close();
    }
  });

  it('makes the "red" feature fire on red pixels and on the token " red"', () => {
    const featureId = project.db.prepare("SELECT id FROM features WHERE label = 'red things'").pluck().get() as number;
    const detail = getFeature(project.db, featureId);
    expect(detail.feature.modality).toBe('shared');

    const topImage = detail.examples.find((example) => example.bucket === 'top' && example.image !== null)!;
    expect(topImage).toBeDefined();
    const { sha256, rows, cols, patches } = topImage.image!;
    const png = PNG.sync.read(fs.readFileSync(project.media.pathOf(sha256)!));
    const patchWidth = png.width / cols;
    const patchHeight = png.height / rows;
    const redShare = patches.map((_, p) => {
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

  it('keeps conditions out of what raters see in "Which concept?"', () => {
    const rows = project.db
      .prepare("SELECT i.position, i.payload_json, i.hidden_json, i.condition FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = 'Which concept?' ORDER BY i.position")
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
    const answers = rows.map((row) => (JSON.parse(row.payload_json) as { answer: string }).answer);
    expect(answers.some((answer) => answer.includes('<img src=x onerror=alert(1)>'))).toBe(true);
    expect(answers.some((answer) => answer.includes('<script>alert(1)</script>'))).toBe(true);
    expect(answers.slice(0, 5).every((answer) => !answer.includes('<'))).toBe(true);

    const labelPayloads = project.db
      .prepare("SELECT i.payload_json FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = 'Label features'")
      .pluck()
      .all() as string[];
    for (const text of labelPayloads) {
      const payload = JSON.parse(text) as { feature: { featureIndex: number; examples: unknown[] } };
      expect(payload.feature.examples.length).toBeGreaterThan(0);
      expect(payload.feature.examples.length).toBeLessThanOrEqual(5);
      expect(keysOf(payload)).not.toContain('feature_id');
      expect(keysOf(payload)).not.toContain('label');
    }
  });

  it('is idempotent on a demo folder and refuses a folder with other campaigns', () => {
    const before = count(project, 'features');
    createDemoProject(first);
    expect(count(project, 'features')).toBe(before);

    const busy = freshDir();
    const other = openProject(busy, { create: true });
    insertCampaign(other.db, { name: 'Mine', template: BUILTIN_TEMPLATES['feature-label'], instructions: '', overlap: 1, leaseSeconds: 60, seed: 0 }, []);
    other.close();
    expect(() => createDemoProject(busy)).toThrow(AppError);
    try {
      createDemoProject(busy);
    } catch (error) {
      expect((error as AppError).code).toBe('conflict');
    }
  });

  it('writes nothing when it fails half-way', () => {
    const dir = freshDir();
    const blocked = openProject(dir, { create: true });
    // A steering spec with the demo's first spec name: the demo's insert hits UNIQUE(name) mid-transaction.
    blocked.db
      .prepare("INSERT INTO steering_specs (name, method, layer, hook_point, positions, vector_source, coefficient, coefficient_units, created_at) VALUES (?, 'add', 20, 'x', 'prompt', 'probe', 0, 'k', 0)")
      .run('demo: goldfish -> strawberry, k=0');
    blocked.close();
    expect(() => createDemoProject(dir)).toThrow(/UNIQUE constraint failed: steering_specs.name/);
    const reopened = openProject(dir);
    try {
      for (const table of ['media', 'documents', 'features', 'examples', 'generations', 'campaigns', 'project_meta']) expect(count(reopened, table)).toBe(0);
      expect(count(reopened, 'steering_specs')).toBe(1);
    } finally {
      reopened.close();
    }
  });
});
