// `sightline sweep --images` on the LLaVA-NeXT vision fixture (issue 14), through the CLI: a folder
// with one folder per class (square, tall, wide: the fixture's three images), the fixture's prompt and
// its steering vector stored as a probe vector square->wide. Every cell's tokens are transformers' at
// k = 0 and k = 6 (expected.json: 20 greedy and 20 steered greedy tokens per image) and equal
// `generate --image` at k = 3; each generation carries its image (document, sha256, positions, the
// file in the project's media) and the study's classes; a concept-choice campaign built from it shows
// the image to a rater over HTTP; shards merged equal the unsharded sweep, media included; the sweep's
// id follows the images' bytes.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import type { SweepGeneration, SweepListing } from '../../src-main/contract/index.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { readSweepImages } from '../../src-main/steer/sweep-images.js';
import { storeVectors } from '../../src-main/steer/vectors.js';
import type { VectorSource } from '../../src-main/store/vectors.js';
import { npyBytes, tempDir } from '../engine/fixtures.js';
import { generateArgs, importModel, runJson } from '../helpers/cli.js';
import { contextFor, makeRater, researcher } from '../helpers/factories.js';
import { request, serveProject } from '../helpers/http.js';
import { fixtureFolder } from '../lm/hf-fixtures.js';
import { expectedVision, IMAGE_NAMES, VISION_DIR } from './fixtures.js';

const want = expectedVision();
const VECTOR = 'probe:square->wide';
const KS = [0, 3, 6];
let dir: string;
let imagesDir: string;
const opened: Project[] = [];

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A project with the vision fixture and its steering vector stored as a square->wide probe vector. */
async function setUpProject(name: string): Promise<string> {
  const projectDir = join(dir, `${name}.sightline`);
  const project = openProject(projectDir, { create: true });
  try {
    await importModel(project.dir, VISION_DIR, 'vision');
    await importModel(project.dir, fixtureFolder('llama'), 'text');
    const source = {
      kind: 'probe' as const,
      method: 'diff-of-means' as const,
      corpus: 'vision-L2',
      layer: want.steer.layer,
      from: 'square',
      to: 'wide',
      unit: false,
      documents: { from: 1, to: 1 },
      pooled: 'image' as const,
    };
    storeVectors(project, [{ name: VECTOR, values: Float32Array.from(want.steer.vector), source }]);
  } finally {
    project.close();
  }
  return projectDir;
}

const sweepArgs = (project: string, images: string, ...extra: string[]) => [
  'sweep',
  '--project',
  project,
  '--model',
  'vision',
  '--vector',
  VECTOR,
  '--layer',
  String(want.steer.layer),
  '--k',
  KS.join(','),
  '--images',
  images,
  '--prompt',
  want.prompt,
  '--tokens',
  '20',
  '--greedy',
  ...extra,
];

interface Row {
  cell: number;
  prompt: string;
  media: string | null;
  meta: Record<string, any>;
}

function generationsOf(projectDir: string): Row[] {
  const project = openProject(projectDir);
  opened.push(project);
  const rows = project.db
    .prepare('SELECT prompt, media_sha256 AS media, meta_json FROM generations ORDER BY id')
    .all() as { prompt: string; media: string | null; meta_json: string }[];
  return rows
    .map((g) => {
      const meta = JSON.parse(g.meta_json);
      return { cell: meta.sweep.cell, prompt: g.prompt, media: g.media, meta };
    })
    .sort((a, b) => a.cell - b.cell);
}

let reference: string;
let referenceRows: Row[];
let referenceSweep: string;

beforeAll(async () => {
  dir = tempDir();
  imagesDir = join(dir, 'images');
  for (const name of IMAGE_NAMES) {
    mkdirSync(join(imagesDir, name), { recursive: true });
    copyFileSync(join(VISION_DIR, want.images[name].file), join(imagesDir, name, want.images[name].file));
  }
  reference = await setUpProject('reference');
  const run = await runJson(sweepArgs(reference, imagesDir));
  expect(run.code).toBe(0);
  expect(run.value).toMatchObject({ state: 'done', cells: 9, generated: 9, skipped: 0 });
  referenceSweep = run.value.sweepId;
  referenceRows = generationsOf(reference);
});
afterAll(() => opened.forEach((p) => p.close()));

// Folders sort square, tall, wide: the grid's rows.
const ORDER = ['square', 'tall', 'wide'] as const;

describe('sweep --images', () => {
  it("gives transformers' tokens at k = 0 and 6 and generate --image's at k = 3, for every image", async () => {
    expect(referenceRows.map((r) => r.cell)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const [index, name] of ORDER.entries()) {
      const image = want.images[name];
      const rows = referenceRows.filter((r) => r.meta.sweep.prompt_index === index);
      expect(rows.map((r) => r.meta.k)).toEqual(KS);
      expect(rows[0].meta.generated_ids).toEqual(image.greedy);
      expect(rows[2].meta.generated_ids).toEqual(image.steered_greedy);
      // the expanded prompt the steering mask "prompt" covered: every image position included
      for (const row of rows) expect(row.meta.prompt_ids).toEqual(image.expanded_ids);
    }
    // generate --image at k = 3 (the vector exported to a file, as a user would)
    const project = openProject(reference);
    opened.push(project);
    const vectorFile = join(dir, 'v.npy');
    const v = Float32Array.from(want.steer.vector);
    writeFileSync(vectorFile, npyBytes(v, [v.length]));
    for (const name of ['tall', 'wide'] as const) {
      const one = await runJson([
        ...generateArgs(reference, 'vision', want.prompt, 20),
        '--greedy',
        '--image',
        join(imagesDir, name, want.images[name].file),
        '--vector-file',
        vectorFile,
        '--layer',
        String(want.steer.layer),
        '--k',
        '3',
      ]);
      expect(one.code).toBe(0);
      const row = referenceRows.find((r) => r.meta.sweep.prompt_index === ORDER.indexOf(name) && r.meta.k === 3)!;
      expect(row.meta.generated_ids).toEqual(one.value.generatedIds);
      expect(row.meta.prompt_ids).toEqual(one.value.promptIds);
    }
  });

  it("records each generation's image and classes, and keeps the image in the project's media", () => {
    const project = openProject(reference);
    opened.push(project);
    for (const row of referenceRows) {
      const name = ORDER[row.meta.sweep.prompt_index];
      const file = join(imagesDir, name, want.images[name].file);
      const sha256 = sha256Of(file);
      expect(row.meta.image).toEqual({
        document: `${name}/${want.images[name].file}`,
        sha256,
        file,
        media_sha256: sha256,
        positions: want.images[name].image_positions,
      });
      expect(row.media).toBe(sha256);
      expect(readFileSync(project.media.servable(sha256)!.file)).toEqual(readFileSync(file));
      // the probe vector square->wide names the target; the distractors are the other classes
      expect(row.meta.source_class).toBe(name);
      expect(row.meta.target_class).toBe('wide');
      // (in a seeded order: the first two of a shuffle when there are more)
      expect([...row.meta.distractors].sort()).toEqual(ORDER.filter((c) => c !== name && c !== 'wide'));
      // the rater reads the question without the <image> placeholder
      expect(row.prompt).toBe(want.prompt.replace('<image>', '').trim());
    }
    const spec = JSON.parse(
      project.db.prepare('SELECT spec_json FROM steering_specs LIMIT 1').pluck().get() as string,
    ) as { sweep: { images: { count: number; sha256: string } } };
    const listHash = createHash('sha256');
    for (const name of ORDER) listHash.update(`${sha256Of(join(imagesDir, name, want.images[name].file))}\n`);
    expect(spec.sweep.images).toEqual({ count: 3, sha256: listHash.digest('hex') });
  });

  it("sweeps.list counts the images and sweeps.generations names each row's image (the Steer page shows it)", async () => {
    const project = openProject(reference);
    opened.push(project);
    const context = contextFor(project, researcher);
    const call = async <T>(name: string, input: unknown): Promise<T> => {
      const result = await dispatch(name, input, context);
      if (!result.ok) throw new Error(result.error.message);
      return result.value as T;
    };
    const listed = await call<SweepListing[]>('sweeps.list', {});
    expect(listed.find((s) => s.sweepId === referenceSweep)).toMatchObject({ images: 3, prompts: 3 });
    const { generations } = await call<{ generations: SweepGeneration[] }>('sweeps.generations', {
      sweepId: referenceSweep,
    });
    expect(generations.map((g) => g.image)).toEqual(
      referenceRows.map((r) => ({ document: r.meta.image.document, mediaSha256: r.media })),
    );
  });

  it('a concept-choice campaign from the sweep shows each image to the rater, classes and k hidden', async () => {
    const created = await runJson([
      'campaign',
      'create',
      '--project',
      reference,
      '--name',
      'images',
      '--template',
      'concept-choice',
      '--from',
      'generations',
      '--overlap',
      '1',
    ]);
    expect(created.code).toBe(0);
    const project = openProject(reference);
    opened.push(project);
    const campaignId = project.db.prepare("SELECT id FROM campaigns WHERE name = 'images'").pluck().get() as number;
    const rater = makeRater(project, campaignId, 'ana');
    const server = await serveProject(project);
    const next = await fetch(`http://127.0.0.1:${server.port}/api/rater.next`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${rater.token}` },
      body: '{"count":3}',
    }).then((r) => r.json());
    expect(next.ok).toBe(true);
    const items = next.value.items as Record<string, any>[];
    expect(items).toHaveLength(3);
    const text = JSON.stringify(items);
    expect(text).not.toMatch(/"k"|"layer"|sweep|source_class|target_class|prompt_ids/);
    const hashes = ORDER.map((n) => sha256Of(join(imagesDir, n, want.images[n].file)));
    for (const item of items) {
      const image = JSON.stringify(item).match(/[0-9a-f]{64}/)?.[0];
      expect(hashes).toContain(image);
      const answer = await request(server.port, 'GET', `/media/${image}?token=${encodeURIComponent(rater.token)}`, {
        Host: `127.0.0.1:${server.port}`,
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('image/png');
    }
    const payloads = (
      project.db.prepare('SELECT payload_json FROM items WHERE campaign_id = ?').pluck().all(campaignId) as string[]
    ).map((p) => JSON.parse(p));
    expect(new Set(payloads.map((p) => p.image))).toEqual(new Set(hashes));
    // the options: source, target and distractors, each once (a wide image's source is the target)
    for (const payload of payloads) expect(payload.options).toEqual(['square', 'tall', 'wide']);
  });

  it("a pairwise campaign sets each steered answer against the same image's k = 0 answer", async () => {
    const created = await runJson([
      ...['campaign', 'create', '--project', reference, '--name', 'pairs', '--template', 'pairwise'],
      ...['--from', 'generations', '--overlap', '1'],
    ]);
    expect(created.code).toBe(0);
    const project = openProject(reference);
    opened.push(project);
    const items = project.db
      .prepare("SELECT i.payload_json FROM items i JOIN campaigns c ON c.id = i.campaign_id WHERE c.name = 'pairs'")
      .pluck()
      .all() as string[];
    expect(items).toHaveLength(6);
    const textOf = (index: number, k: number) =>
      project.db
        .prepare('SELECT output_text FROM generations WHERE prompt = ? ORDER BY id')
        .pluck()
        .all(referenceRows[0].prompt)[index * KS.length + KS.indexOf(k)];
    const pairs = items.map((i) => JSON.parse(i)).map((p) => [p.a, p.b]);
    for (const index of [0, 1, 2])
      for (const k of [3, 6]) expect(pairs).toContainEqual([textOf(index, 0), textOf(index, k)]);
  });

  it('two shards merged equal the unsharded sweep, images included; the same command again does nothing', async () => {
    const base = await setUpProject('sharded');
    const shardDirs = [0, 1].map((i) => join(dir, `shard-${i}`));
    for (const [i, out] of shardDirs.entries()) {
      const run = await runJson(sweepArgs(base, imagesDir, '--shard', `${i}/2`, '--out', out));
      expect(run.code).toBe(0);
      expect(run.value).toMatchObject({ state: 'done', sweepId: referenceSweep, shard: `${i}/2` });
    }
    const merged = join(dir, 'merged.sightline');
    const result = await runJson(['merge', '--into', merged, ...shardDirs]);
    expect(result).toMatchObject({ code: 0, value: { added: 9, present: 9, cells: 9 } });
    const rows = generationsOf(merged);
    // A shard whose block splits an image's k values measures KL against one more prefill, not the
    // batch's k = 0 row: the same number (within float32), said in kl_baseline.
    const comparable = ({ meta: { kl: _kl, kl_baseline: _baseline, ...meta }, ...row }: Row) => ({ ...row, meta });
    expect(rows.map(comparable)).toEqual(referenceRows.map(comparable));
    rows.forEach((row, i) => expect(row.meta.kl).toBeCloseTo(referenceRows[i].meta.kl, 5));
    const project = openProject(merged);
    opened.push(project);
    for (const sha256 of new Set(rows.map((r) => r.media!))) expect(project.media.servable(sha256)).toBeDefined();
    const again = await runJson(sweepArgs(reference, imagesDir));
    expect(again.value).toMatchObject({ state: 'done', sweepId: referenceSweep, generated: 0, skipped: 9 });
  });

  it("another image's bytes make another sweep; refusals name the option", async () => {
    const one = (folder: string, source: string) => {
      mkdirSync(join(folder, 'square'), { recursive: true });
      copyFileSync(join(VISION_DIR, source), join(folder, 'square', 'a.png'));
      return folder;
    };
    // one cell of one token each: the same sweep but for the image's bytes
    const small = (args: string[]) => args.map((a) => (a === KS.join(',') ? '0' : a === '20' ? '1' : a));
    const first = await runJson(small(sweepArgs(reference, one(join(dir, 'one-a'), 'square.png'))));
    const second = await runJson(small(sweepArgs(reference, one(join(dir, 'one-b'), 'wide.png'))));
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(first.value.sweepId).not.toBe(second.value.sweepId);

    const text = await runJson(sweepArgs(reference, imagesDir).map((a) => (a === 'vision' ? 'text' : a)));
    expect(text).toMatchObject({
      code: 2,
      value: { error: { message: expect.stringMatching(/--images: .*text-only/) } },
    });
    const both = await runJson([...sweepArgs(reference, imagesDir), '--prompts', join(dir, 'p.txt')]);
    expect(both).toMatchObject({
      code: 2,
      value: { error: { message: expect.stringMatching(/--prompts .* or --images/) } },
    });
  });
});

describe('sweep --images --chat', () => {
  it('places the image in the user message as generate --chat --image does, with the same tokens', async () => {
    const folder = join(dir, 'chat');
    mkdirSync(join(folder, 'tall'), { recursive: true });
    copyFileSync(join(VISION_DIR, 'tall.png'), join(folder, 'tall', 'tall.png'));
    const question = 'What is in this picture?';
    const args = sweepArgs(reference, folder, '--chat').map((a) =>
      a === KS.join(',') ? String(want.steer.k) : a === want.prompt ? question : a,
    );
    const run = await runJson(args);
    expect(run).toMatchObject({ code: 0, value: { generated: 1 } });
    const row = generationsOf(reference).find((r) => r.meta.sweep.id === run.value.sweepId)!;
    const vectorFile = join(dir, 'chat-v.npy');
    const v = Float32Array.from(want.steer.vector);
    writeFileSync(vectorFile, npyBytes(v, [v.length]));
    const one = await runJson([
      ...generateArgs(reference, 'vision', question, 20),
      ...['--greedy', '--chat', '--image', join(folder, 'tall', 'tall.png'), '--vector-file', vectorFile],
      ...['--layer', String(want.steer.layer), '--k', String(want.steer.k)],
    ]);
    expect(one.code).toBe(0);
    expect(row.meta.prompt_ids).toEqual(one.value.promptIds);
    expect(row.meta.generated_ids).toEqual(one.value.generatedIds);
    expect(row.prompt).toBe(question);
  });
});

describe('readSweepImages', () => {
  it("takes a CSV's target_class and distractors, else --target-class, else the probe vector's", () => {
    const csvDir = join(dir, 'csv');
    mkdirSync(csvDir, { recursive: true });
    for (const name of IMAGE_NAMES) copyFileSync(join(VISION_DIR, `${name}.png`), join(csvDir, `${name}.png`));
    const csv = join(csvDir, 'images.csv');
    writeFileSync(
      csv,
      'image,class,target_class,distractors\nsquare.png,cat,dog,fish;bird\ntall.png,dog,,\nwide.png,fish,,\n',
    );
    const probe = { name: 'p', source: { kind: 'probe', from: 'cat', to: 'fish' } as VectorSource };
    const rows = readSweepImages({ source: csv, prompt: 'What?', targetClass: 'cat', vector: probe });
    expect(rows.prompts.map((p) => [p.sourceClass, p.targetClass])).toEqual([
      ['cat', 'dog'],
      ['dog', 'cat'],
      ['fish', 'cat'],
    ]);
    expect(rows.prompts[0].distractors).toEqual(['fish', 'bird']);
    expect(rows.prompts[1].distractors).toEqual(['fish']);
    expect(rows.images.map((i) => i.document)).toEqual(['square.png', 'tall.png', 'wide.png']);
    const byProbe = readSweepImages({ source: csv, prompt: 'What?', vector: probe });
    expect(byProbe.prompts.map((p) => p.targetClass)).toEqual(['dog', 'fish', 'fish']);
    expect(byProbe.prompts[2].distractors?.sort()).toEqual(['cat', 'dog']);
    expect(byProbe.spec).toEqual(rows.spec);
  });

  it('one image file is one row; the classes given stand in for the folder or CSV it does not have', () => {
    // The Steer page's sweep over its chosen image, with the page's source class and distractors.
    const file = join(VISION_DIR, 'tall.png');
    const rows = readSweepImages({
      source: file,
      prompt: 'What?',
      sourceClass: 'dog',
      targetClass: 'cat',
      distractors: ['fish', 'bird'],
    });
    expect(rows.prompts).toEqual([
      { prompt: 'What?', sourceClass: 'dog', targetClass: 'cat', distractors: ['fish', 'bird'] },
    ]);
    expect(rows.images).toEqual([
      { document: 'tall.png', file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') },
    ]);
    // A CSV's own classes still win over the ones given.
    const csv = join(dir, 'csv', 'images.csv');
    const fromCsv = readSweepImages({ source: csv, prompt: 'What?', sourceClass: 'x', distractors: ['y'] });
    expect(fromCsv.prompts.map((p) => [p.sourceClass, p.distractors])).toEqual([
      ['cat', ['fish', 'bird']],
      ['dog', ['y']],
      ['fish', ['y']],
    ]);
  });
});
