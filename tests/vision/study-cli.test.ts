// Issue 14's "done means", through the real command line on the LLaVA-NeXT vision fixture: a folder of
// class images (flat red, green and blue pictures in the three sizes of transformers' fixture images,
// so each image's position count is transformers'), `capture` at layers 1 and 2, an imported SAE mined
// on the layer-1 corpus (examples carry image patches), `probe --labels-from-folders` on both layers,
// the pair red -> blue picked with `probe --classes` (asking for it before says how), `vector features`
// of that vector against the SAE, a trial sweep and the real `sweep --images` with it, `sweep list`,
// `campaign create --from generations --sweep ID --template concept-choice` (the trial left out), a
// rater answering over HTTP, and `results --json` with the steering curve by k.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src-main/engine/vision/image-file.js';
import { loadLmTokenizer } from '../../src-main/engine/lm/tokenizer.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { findVectorByName } from '../../src-main/store/vectors.js';
import { randomSae, tempDir, writeSaeLensDir } from '../engine/fixtures.js';
import { importModel, runCaptured, runJson } from '../helpers/cli.js';
import { makeRater } from '../helpers/factories.js';
import { postApi, serveProject } from '../helpers/http.js';
import { expectedVision, IMAGE_NAMES, VISION_DIR } from './fixtures.js';

const want = expectedVision();
const COLOURS = { blue: [30, 40, 220], green: [30, 200, 60], red: [220, 30, 30] } as const;
type Colour = keyof typeof COLOURS;
const CLASSES = Object.keys(COLOURS).sort() as Colour[];
const [FROM, TO] = ['red', 'blue'] as const;
const D_MODEL = 64;
const D_SAE = 32;
const KS = [0, 4, 8];
const TOKENS = 6;
const VECTOR_RAW = `colours-L1:${FROM}->${TO}`;
const VECTOR = `${VECTOR_RAW}:unit`;
const CAMPAIGN = 'Which colour?';

let dir: string;
let imagesDir: string;
let projectDir: string;
const opened: Project[] = [];

interface Generation {
  id: number;
  text: string;
  media: string;
  meta: Record<string, any>;
}
let sweepId: string;
let trialSweepId: string;
/** The generations of the study's sweep (not the trial's), oldest first. */
const generations = (): Generation[] =>
  (
    open()
      .db.prepare('SELECT id, output_text AS text, media_sha256 AS media, meta_json FROM generations ORDER BY id')
      .all() as { id: number; text: string; media: string; meta_json: string }[]
  )
    .map(({ meta_json, ...row }) => ({ ...row, meta: JSON.parse(meta_json) }))
    .filter((row) => row.meta.sweep.id === sweepId);
/** What the model says about the image (its sha256) at k = 0. */
const unsteered = (rows: Generation[], image: string) => rows.find((r) => r.media === image && r.meta.k === 0)!.text;
/** image file sha256 → its class */
const classOf = new Map<string, Colour>();

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const open = () => {
  const project = openProject(projectDir);
  opened.push(project);
  return project;
};

/** A flat picture of `colour`, a little lighter for each `shade`, in the size of fixture image `name`. */
function flatImage(colour: Colour, name: (typeof IMAGE_NAMES)[number], shade: number): Uint8Array {
  const { width, height } = want.images[name];
  const data = new Uint8Array(width * height * 3);
  const rgb = COLOURS[colour].map((c) => Math.min(255, c + 8 * shade));
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return encodePng({ width, height, data });
}

beforeAll(async () => {
  dir = tempDir();
  imagesDir = path.join(dir, 'colours');
  for (const colour of CLASSES) {
    fs.mkdirSync(path.join(imagesDir, colour), { recursive: true });
    IMAGE_NAMES.forEach((name, shade) => {
      const bytes = flatImage(colour, name, shade);
      fs.writeFileSync(path.join(imagesDir, colour, `${name}.png`), bytes);
      classOf.set(sha256Of(bytes), colour);
    });
  }
  projectDir = path.join(dir, 'study.sightline');
  expect((await runJson(['init', '--project', projectDir])).code).toBe(0);
  await importModel(projectDir, VISION_DIR, 'llava');
});
afterAll(() => opened.forEach((p) => p.close()));

/** `sightline COMMAND --project <the study> ARGS --json`; COMMAND may be two words (`vector features`). */
const cli = (command: string, ...args: string[]) => runJson([...command.split(' '), '--project', projectDir, ...args]);

describe('the whole study from the command line (issue 14)', () => {
  it('captures layers 1 and 2 over the class folders: one document per image, labelled by its folder', async () => {
    const run = await cli(
      'capture',
      '--model',
      'llava',
      '--layers',
      '1,2',
      '--images',
      imagesDir,
      '--corpus',
      'colours',
      '--provider',
      'cpu',
    );
    expect(run.code).toBe(0);
    expect(run.value).toMatchObject({ state: 'done', documents: 9 });
    expect(run.value.corpora.map((c: { corpus: string }) => c.corpus)).toEqual(['colours-L1', 'colours-L2']);
    // Rows per image: the default prompt's tokens without BOS (a special row) and transformers' number
    // of image positions for a picture of that size.
    const prompt = loadLmTokenizer(VISION_DIR).encode('<image>\nWhat is shown in this image?');
    const rows = IMAGE_NAMES.reduce((n, name) => n + prompt.length - 1 + want.images[name].image_positions, 0);
    for (const corpus of run.value.corpora) expect(corpus.rows).toBe(CLASSES.length * rows);
    const documents = open()
      .db.prepare(
        `SELECT d.external_id AS id, d.media_sha256 AS media FROM documents d JOIN corpora c ON c.id = d.corpus_id
         WHERE c.name = 'colours-L1' ORDER BY d.external_id`,
      )
      .all() as { id: string; media: string }[];
    expect(documents.map((d) => d.id)).toEqual(CLASSES.flatMap((c) => IMAGE_NAMES.map((n) => `${c}/${n}.png`).sort()));
    for (const d of documents) expect(classOf.get(d.media)).toBe(d.id.split('/')[0]);
  });

  it('mines an imported SAE on the layer-1 corpus: image examples carry their patches, on the base grid', async () => {
    const saeDir = writeSaeLensDir(path.join(dir, 'sae'), randomSae('relu', D_MODEL, D_SAE, 5));
    expect((await cli('import-sae', '--path', saeDir, '--name', 'sae-L1', '--layer', '1')).code).toBe(0);
    const mined = await cli('mine', '--sae', 'sae-L1', '--corpus', 'colours-L1', '--provider', 'cpu');
    expect(mined.code).toBe(0);
    const listed = await cli('features', '--sae', 'sae-L1');
    expect(listed.code).toBe(0);
    const rows = listed.value.features as { index: number; imageCount: number }[];
    const busiest = rows.reduce((a, b) => (b.imageCount > a.imageCount ? b : a));
    expect(busiest.imageCount).toBeGreaterThan(0);
    const shown = await cli('features', '--sae', 'sae-L1', '--feature', String(busiest.index));
    const examples = shown.value.examples as { document: string; image: any }[];
    const withImage = examples.filter((e) => e.image);
    expect(withImage.length).toBeGreaterThan(0);
    for (const e of withImage) {
      // the 28-pixel tile in 7-pixel patches: a 4 x 4 base grid, then the image's anyres map
      expect(e.image).toMatchObject({ rows: 4, cols: 4 });
      expect(e.image.patches).toHaveLength(16);
      expect(e.image.anyres).toHaveLength(1);
      expect(classOf.get(e.image.sha256)).toBe(e.document.split('/')[0]);
    }
    expect(withImage.some((e) => [...e.image.patches, ...e.image.anyres[0].patches].some((v: number) => v > 0))).toBe(
      true,
    );
  });

  it('probes both layers with labels from the folder names: accuracy per layer, a stored vector for every class pair', async () => {
    const probe = await cli(
      'probe',
      '--corpus',
      'colours-L1,colours-L2',
      '--labels-from-folders',
      '--validation',
      '0.34',
    );
    expect(probe.code).toBe(0);
    expect(probe.value.labels).toBe('folder names');
    const layers = probe.value.layers as import('../../src-main/contract/probes.js').ProbeLayer[];
    expect(layers.map((l) => [l.corpus, l.layer, l.pooled])).toEqual([
      ['colours-L1', 1, 'image'],
      ['colours-L2', 2, 'image'],
    ]);
    for (const layer of layers) {
      expect(layer.classes).toEqual(CLASSES.map((name) => ({ name, documents: IMAGE_NAMES.length })));
      // a third of each class held out; flat colours are easy to tell apart even for a random model
      expect(layer.logistic).toMatchObject({ train: 6, validation: 3, chance: 1 / 3 });
      expect(layer.logistic.validationAccuracy).toBeGreaterThan(layer.logistic.chance);
      expect(layer.pairs.map((p) => `${p.from}->${p.to}`)).toEqual(['blue->green', 'blue->red', 'green->red']);
    }
    // Each pair's vector is the difference of the class means of the image rows: check its norm
    // against one recomputed from the stored vector, and that both raw and unit vectors exist.
    const project = open();
    for (const layer of layers)
      for (const pair of layer.pairs) {
        const raw = findVectorByName(project.db, pair.vector)!;
        expect(raw.dModel).toBe(D_MODEL);
        expect(Math.hypot(...raw.values)).toBeCloseTo(pair.norm, 3);
        expect(Math.hypot(...findVectorByName(project.db, pair.unitVector)!.values)).toBeCloseTo(1, 5);
      }
  });

  it('picks the pair red -> blue with --classes: its vector, ranked against the SAE decoder rows', async () => {
    // The first probe stored blue->red (classes sorted); asking for red->blue says how to get it.
    const tooSoon = await cli(
      'sweep',
      ...['--model', 'llava', '--vector', VECTOR, '--layer', '1', '--k', '0:8:3', '--images', imagesDir],
    );
    expect(tooSoon.code).toBe(1);
    expect(tooSoon.value.error.message).toBe(
      `no vector named "${VECTOR}" in this project; the probe stored "colours-L1:${TO}->${FROM}:unit" (${TO} → ${FROM}): ` +
        `run \`sightline probe --corpus colours-L1 --classes ${FROM},${TO}\` with the same labels and --name to store ${FROM} → ${TO}`,
    );
    const pick = await cli('probe', '--corpus', 'colours-L1', '--labels-from-folders', '--classes', `${FROM},${TO}`);
    expect(pick.code).toBe(0);
    expect(pick.value.layers[0].pairs).toEqual([expect.objectContaining({ from: FROM, to: TO, vector: VECTOR_RAW })]);
    const vector = findVectorByName(open().db, VECTOR)!;
    expect(vector.source).toMatchObject({ kind: 'probe', from: FROM, to: TO, layer: 1, unit: true });
    const found = await cli('vector features', '--name', VECTOR, '--sae', 'sae-L1', '--top', '5');
    expect(found.code).toBe(0);
    // The cosine of the vector with every decoder row, recomputed here from the SAE we wrote.
    const sae = randomSae('relu', D_MODEL, D_SAE, 5);
    const cosines = Array.from({ length: D_SAE }, (_, f) => {
      const row = sae.W_dec.subarray(f * D_MODEL, (f + 1) * D_MODEL);
      const dot = row.reduce((s, w, i) => s + w * vector.values[i], 0);
      return dot / Math.hypot(...row) / Math.hypot(...vector.values);
    });
    const ranked = cosines.map((cosine, feature) => ({ feature, cosine })).sort((a, b) => b.cosine - a.cosine);
    expect(found.value.top.map((f: { feature: number }) => f.feature)).toEqual(
      ranked.slice(0, 5).map((f) => f.feature),
    );
    found.value.top.forEach((f: { cosine: number }, i: number) => expect(f.cosine).toBeCloseTo(ranked[i].cosine, 5));
  });

  it('sweeps k over every image with the red->blue vector: one generation per (image, k), its classes from the folders and the vector', async () => {
    const sweep = (k: string, tokens: number) =>
      cli(
        'sweep',
        ...['--model', 'llava', '--vector', VECTOR, '--layer', '1', '--k', k, '--images', imagesDir],
        ...['--tokens', String(tokens), '--greedy', '--provider', 'cpu'],
      );
    const images = CLASSES.length * IMAGE_NAMES.length;
    // A quick trial first (one token at k = 0), as a researcher would: another sweep in the project.
    const trial = await sweep('0', 1);
    expect(trial.value).toMatchObject({ state: 'done', generated: images });
    trialSweepId = trial.value.sweepId;
    const run = await sweep('0:8:3', TOKENS);
    expect(run.code).toBe(0);
    expect(run.value).toMatchObject({ state: 'done', cells: images * KS.length, generated: images * KS.length });
    sweepId = run.value.sweepId;
    const rows = generations();
    expect(rows).toHaveLength(images * KS.length);
    for (const row of rows) {
      const source = classOf.get(row.media)!;
      const { meta } = row;
      expect(meta.image.document).toMatch(new RegExp(`^${source}/(${IMAGE_NAMES.join('|')})\\.png$`));
      expect(meta.image.media_sha256).toBe(row.media);
      expect(meta).toMatchObject({ source_class: source, target_class: TO, layer: 1 });
      expect([...meta.distractors].sort()).toEqual(CLASSES.filter((c) => c !== source && c !== TO));
      // the k = 0 row is the unsteered model; any other k moves the next-token distribution
      if (meta.k === 0) expect(meta.kl).toBeCloseTo(0, 6);
      else expect(meta.kl).toBeGreaterThan(0);
    }
    for (const image of new Set(rows.map((r) => r.meta.image.document)))
      expect(rows.filter((r) => r.meta.image.document === image).map((r) => r.meta.k)).toEqual(KS);
    // Steering red towards blue changes what the tiny model says about some red images.
    const red = rows.filter((r) => r.meta.source_class === FROM);
    expect(red.some((r) => r.meta.k > 0 && r.text !== unsteered(rows, r.media))).toBe(true);
  });

  it('builds the concept-choice campaign; a rater sees each image and answers over HTTP; results have the curve by k', async () => {
    // `sweep list` names both sweeps, newest first, with what tells them apart.
    const listed = await cli('sweep list');
    expect(listed.code).toBe(0);
    expect(
      listed.value.map((s: { sweepId: string; ks: number[]; images: number; generations: number }) => [
        s.sweepId,
        s.ks,
        s.images,
        s.generations,
      ]),
    ).toEqual([
      [sweepId, KS, 9, 27],
      [trialSweepId, [0], 9, 9],
    ]);
    const text = await runCaptured(['sweep', 'list', '--project', projectDir]);
    expect(text.out.split('\n')[0]).toBe(
      `${sweepId}  add vector "${VECTOR}" at layer 1 k ${KS.join(',')}, 9 images, ${TOKENS} tokens, model "llava": 27 of 27 generations`,
    );
    const create = (...args: string[]) =>
      cli('campaign create', ...['--name', CAMPAIGN, '--template', 'concept-choice', '--overlap', '1', ...args]);
    // --sweep picks the sweep's generations, leaving the trial's out.
    const unknown = await create('--from', 'generations', '--sweep', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.value.error.message).toBe(
      `sweep "nope": no generations in this project (its sweeps: ${sweepId}, ${trialSweepId})`,
    );
    const misplaced = await create('--from', 'features', '--features', '1', '--sweep', sweepId);
    expect(misplaced.code).toBe(2);
    expect(misplaced.value.error.message).toMatch(/--sweep picks generations: use it with --from generations/);
    const created = await create('--from', 'generations', '--sweep', sweepId);
    expect(created.code).toBe(0);
    const rows = generations();
    expect(created.value).toMatchObject({ items: rows.length });
    const project = open();
    const campaignId = project.db.prepare('SELECT id FROM campaigns WHERE name = ?').pluck().get(CAMPAIGN) as number;
    const rater = makeRater(project, campaignId, 'ana');
    const server = await serveProject(project);
    const chosen: { row: Generation; choice: string }[] = [];
    for (;;) {
      const next = await postApi(server.port, rater.token, 'rater.next', { count: 1 });
      expect(next.json.ok).toBe(true);
      const [item] = next.json.value.items;
      if (!item) break;
      // The rater gets the image's bytes with their token, the question and the answer; never the classes or k.
      const media = await fetch(
        `http://127.0.0.1:${server.port}/media/${item.payload.image}?token=${encodeURIComponent(rater.token)}`,
      );
      expect(media.status).toBe(200);
      expect(sha256Of(new Uint8Array(await media.arrayBuffer()))).toBe(item.payload.image);
      expect(JSON.stringify(item)).not.toMatch(/"k"|source_class|target_class|"layer"/);
      const seen = classOf.get(item.payload.image)!;
      expect(item.payload.question).toBe('What is shown in this image?');
      // (the researcher's side: which generation the item shows)
      const hidden = JSON.parse(
        project.db
          .prepare('SELECT i.hidden_json FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
          .pluck()
          .get(item.assignmentId) as string,
      );
      const row = rows.find((r) => r.id === hidden.generation_id)!;
      expect([row.media, row.text]).toEqual([item.payload.image, item.payload.answer]);
      // The rater looks at the colour: an answer the model also gives unsteered names it; an answer
      // that steering changed names the other colour on offer, the target (blue).
      const choice = item.payload.answer === unsteered(rows, item.payload.image) ? seen : TO;
      const values = item.questions[0].options.map((o: { value: string }) => o.value);
      expect(values).toEqual(expect.arrayContaining([...CLASSES, 'none']));
      const submitted = await postApi(server.port, rater.token, 'rater.submit', {
        assignmentId: item.assignmentId,
        answer: { concept: choice },
        activeMs: 2000,
      });
      expect(submitted.json.ok).toBe(true);
      chosen.push({ row, choice });
    }
    expect(chosen).toHaveLength(rows.length);

    const results = await cli('results', '--campaign', CAMPAIGN, '--replicates', '20');
    expect(results.code).toBe(0);
    const steering = results.value.steering;
    expect(steering.questionId).toBe('concept');
    expect(steering.byLayer.map((curve: { layer: number }) => curve.layer)).toEqual([1]);
    // Successes per k counted here from the rater's choices: the target was chosen.
    const expected = KS.map((k) => {
      const atK = chosen.filter((c) => c.row.meta.k === k);
      return [k, atK.filter((c) => c.choice === TO).length, atK.length];
    });
    expect(
      steering.byLayer[0].points.map((p: { k: number; successes: number; n: number }) => [p.k, p.successes, p.n]),
    ).toEqual(expected);
    // Blue pictures are chosen as blue at every k; steering adds the red and green answers it changed.
    expect(expected[0][1]).toBe(IMAGE_NAMES.length);
    expect(expected[2][1]).toBeGreaterThan(expected[0][1]);
    expect(
      steering.byClassPair
        .map((c: { sourceClass: string; targetClass: string }) => `${c.sourceClass}->${c.targetClass}`)
        .sort(),
    ).toEqual(CLASSES.map((c) => `${c}->${TO}`));
  });
});
