// The demo's tiny LLaVA-NeXT on its pictograms (issue 14): `generate --image` answers each class's
// picture with that class's sentence; the engine's image capture (an 'embeds' capture session given
// the expanded prompts and images, as `capture --images` runs it) puts each picture's class along its concept direction in the mean of
// its image positions at layer 1, as the plain-TypeScript tower (tiny-vision.ts) and transformers say;
// the difference of class means (probe-math, as `sightline probe` computes it) is (v_B - v_A)/sqrt(2);
// and adding k times it over the prompt switches the answer from the source's sentence to the target's
// as k rises, token for token as transformers does (tests/fixtures/make_tiny_demo_expected.py).
//
// Tolerances. Exact token equality, against transformers (float32) and the float64 reference: the ks
// tested lie at least 0.3 from each picture's switch (school bus -> volcano: k* = 14.7), where the
// source's and the target's topic terms differ by 2e-3 or more in the logits, a hundred times
// float32's noise there. Projections: 2e-3 absolute
// on values near 20 (the tower's layer norms see C = 100 next to colours near 1, and float32 keeps about
// 5 digits there); vectors: 1e-4 per component of a unit vector.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PICTOGRAM_CLASSES, type PictogramClass } from '../../src-main/demo/pictograms';
import { TINY_SENTENCES, TINY_IMAGE_PROMPT } from '../../src-main/demo/tiny-script';
import { demoPictures, tinyVisionWeights } from '../../src-main/demo/tiny-vision';
import { IMAGE_CLASS_SCORE, TINY_STEER_LAYER, tinyWeights } from '../../src-main/demo/tiny-weights';
import { EngineClient } from '../../src-main/engine/client';
import { imagePromptEmbeds, loadVisionSessions, type VisionSessions } from '../../src-main/engine/lm-vision';
import { openLmFolder, readLmWeights, type LmWeights } from '../../src-main/engine/lm/folder';
import { argmax, referenceForward } from '../../src-main/engine/lm/reference';
import type { Steer } from '../../src-main/engine/lm/steering';
import { loadLmTokenizer, type LmTokenizer } from '../../src-main/engine/lm/tokenizer';
import { decodeImage } from '../../src-main/engine/vision/image-file';
import { expandImageTokens, packedLayout } from '../../src-main/engine/vision/pack';
import { type AnyresPixels, preprocessAnyres } from '../../src-main/engine/vision/preprocess';
import { readVisionConfig } from '../../src-main/engine/vision/weights';
import { openProject } from '../../src-main/project/project';
import { classMean, diffOfMeans } from '../../src-main/steer/probe-math';
import { generateArgs, importModel, runJson } from '../helpers/cli';
import { EXPECTED, writeTinyDemo, type TinyDemo } from './tiny-expected';

const D = 64;
const TOKENS = 16;
const pictures = demoPictures();
const { directions, script } = tinyWeights();
const classIndex = (name: PictogramClass) => script.classes.indexOf(name);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
};

/**
 * Greedy decoding in the plain-TypeScript decoder (float64) from the prompt's embeddings (the engine's
 * merged image features), each generated token's embedding row appended.
 */
function referenceImageGreedy(w: LmWeights, promptEmbeds: Float32Array, steer: Steer[]): number[] {
  const V = w.config.vocabSize;
  const promptLength = promptEmbeds.length / D;
  let embeds = Array.from(promptEmbeds);
  const out: number[] = [];
  for (let n = 0; n < TOKENS; n++) {
    const { logits } = referenceForward(w, { embeds, steer, promptLength });
    const next = argmax(logits, (promptLength + n - 1) * V, V);
    out.push(next);
    embeds = embeds.concat(Array.from(w.tensors.embed.subarray(next * D, (next + 1) * D)));
  }
  return out;
}

let demo: TinyDemo;
let tokenizer: LmTokenizer;
let client: EngineClient;
let vision: VisionSessions;
let generateLm: string;
/** per picture (demoPictures order): its preprocessed pixels, expanded prompt ids and layer-1 mean over image positions */
const inputs: { pixels: AnyresPixels; ids: number[]; embeds: Float32Array; mean: Float32Array }[] = [];

beforeAll(async () => {
  demo = await writeTinyDemo();
  const folder = demo.files.folder;
  tokenizer = loadLmTokenizer(folder);
  const { config, processor } = readVisionConfig(folder);
  const opened = openLmFolder(folder);
  const table = readLmWeights(opened).tensors.embed;
  client = EngineClient.start();
  vision = await loadVisionSessions(opened, { provider: 'cpu', intraOpNumThreads: 1, externalAbove: Infinity });
  const options = { folder, providers: 'cpu' as const, intraOpNumThreads: 1 };
  generateLm = (await client.loadLm(options)).lmId;
  const captureLm = (await client.loadLm({ ...options, captureLayers: [TINY_STEER_LAYER], captureInput: 'embeds' }))
    .lmId;
  for (const picture of pictures) {
    const pixels = preprocessAnyres(await decodeImage(picture.png, 'pictogram.png'), processor);
    const ids = expandImageTokens(tokenizer.encode(TINY_IMAGE_PROMPT), config.imageTokenId, [
      packedLayout(pixels, config).count,
    ]);
    // The whole prompt's embeddings, for the reference decoder: the packed image features at <image>.
    const { at, values } = await imagePromptEmbeds(vision, ids, pixels);
    ids.forEach((id, s) => {
      if (!at[s]) values.set(table.subarray(id * D, (id + 1) * D), s * D);
    });
    inputs.push({ pixels, ids, embeds: values, mean: new Float32Array(D) });
  }
  // The engine's image capture, as `capture --images` runs it: the worker runs the tower and packs.
  const [hidden] = (
    await client.captureHidden({
      lmId: captureLm,
      prompts: inputs.map((input) => input.ids),
      images: inputs.map((input) => input.pixels),
    })
  ).hidden;
  let row = 0;
  for (const input of inputs) {
    const image = input.ids.flatMap((id, s) => (id === config.imageTokenId ? [s] : []));
    for (const s of image) for (let d = 0; d < D; d++) input.mean[d] += hidden[(row + s) * D + d] / image.length;
    row += input.ids.length;
  }
}, 60_000);

afterAll(async () => {
  await client?.close();
  await vision?.tower.release();
  fs.rmSync(demo.root, { recursive: true, force: true });
});

describe('the demo tiny LLaVA-NeXT on its pictograms', () => {
  it('expands <image> to the 24 positions transformers gives a square pictogram (base tile + 2 x 2 grid + 4 newlines)', () => {
    for (const want of EXPECTED.images.filter((image) => image.expanded_ids)) {
      const i = pictures.findIndex((p) => `${p.className}/${p.variant}.png` === want.file);
      expect(inputs[i].ids, want.file).toEqual(want.expanded_ids);
      expect(want.image_positions).toBe(24);
    }
  });

  it("generate --image answers each class's pictogram with that class's sentence, token for token as transformers", async () => {
    const project = openProject(path.join(demo.root, 'p.sightline'), { create: true });
    project.close();
    await importModel(project.dir, demo.files.folder, 'tiny');
    for (const className of PICTOGRAM_CLASSES) {
      const want = EXPECTED.images.find((image) => image.file === `${className}/0.png`)!;
      const image = path.join(demo.pictures, className, '0.png');
      const { code, value } = await runJson([
        ...generateArgs(project.dir, 'tiny', 'What is shown in this image?', TOKENS),
        '--greedy',
        '--image',
        image,
      ]);
      expect(code).toBe(0);
      expect(value).toMatchObject({ promptIds: want.expanded_ids, imagePositions: 24, generatedIds: want.greedy });
      expect(tokenizer.decode(value.generatedIds), className).toBe(TINY_SENTENCES[className]);
    }
  });

  it("puts each picture's class along its concept direction at layer 1 (mean over image positions), as the plain-TypeScript tower and transformers say", async () => {
    // The tower's readout (float64) averaged over the 20 patch positions; the 4 newline positions add nothing.
    const reference = (await tinyVisionWeights(tinyWeights(), pictures)).scores;
    pictures.forEach((picture, i) => {
      const want = EXPECTED.images[i];
      expect(want.file).toBe(`${picture.className}/${picture.variant}.png`);
      const scores = directions.map((v) => dot(inputs[i].mean, v));
      scores.forEach((score, c) => {
        expect(score, `${want.file} on ${script.classes[c]}`).toBeCloseTo(want.scores[c], 2);
        expect(score).toBeCloseTo((reference[i][c] * 20) / 24, 2);
      });
      // Linearly separable with a wide margin: the own class near IMAGE_CLASS_SCORE·20/24, the others near 0.
      const own = classIndex(picture.className);
      const rival = Math.max(...scores.filter((_, c) => c !== own));
      expect(scores[own] - rival, want.file).toBeGreaterThan(IMAGE_CLASS_SCORE / 2);
    });
  });

  it('makes the difference of class means (v = mu_B - mu_A, as sightline probe computes it) the direction (v_B - v_A)/sqrt(2), as transformers', () => {
    const x = new Float32Array(pictures.length * D);
    inputs.forEach((input, i) => x.set(input.mean, i * D));
    const labels = Int32Array.from(pictures, (p) => classIndex(p.className));
    for (const pair of EXPECTED.steering) {
      const { unit } = diffOfMeans(
        classMean(x, labels, D, classIndex(pair.source)),
        classMean(x, labels, D, classIndex(pair.target)),
      );
      const ideal = directions[classIndex(pair.target)].map(
        (t, d) => (t - directions[classIndex(pair.source)][d]) / Math.SQRT2,
      );
      expect(dot(unit, ideal), `${pair.source} -> ${pair.target}`).toBeGreaterThan(0.9999);
      unit.forEach((u, d) => expect(u).toBeCloseTo(pair.vector[d], 4));
    }
  });

  it('switches the answer from the source sentence to the target sentence as k rises, steering k·v over the prompt, as transformers and the plain-TypeScript decoder', async () => {
    const weights = readLmWeights(openLmFolder(demo.files.folder));
    for (const pair of EXPECTED.steering) {
      const input = inputs[pictures.findIndex((p) => p.className === pair.source && p.variant === 0)];
      const ks = pair.runs.map((run) => run.k);
      const v = Float32Array.from(pair.vector);
      const result = await client.generate({
        lmId: generateLm,
        prompts: ks.map(() => input.ids),
        images: ks.map(() => input.pixels),
        steers: ks.map((k) => [{ layer: TINY_STEER_LAYER, delta: v.map((x) => k * x), positions: 'prompt' as const }]),
        tokens: TOKENS,
      });
      const texts = result.generated.map((ids) => tokenizer.decode(ids));
      const name = `${pair.source} -> ${pair.target}`;
      pair.runs.forEach((run, row) => expect(result.generated[row], `${name} at k = ${run.k}`).toEqual(run.greedy));
      // The source's sentence up to some k, the target's from there on: nothing else, and no way back.
      const switchAt = texts.indexOf(TINY_SENTENCES[pair.target]);
      expect(switchAt, name).toBeGreaterThan(0);
      expect(
        texts.slice(0, switchAt).every((t) => t === TINY_SENTENCES[pair.source]),
        name,
      ).toBe(true);
      expect(
        texts.slice(switchAt).every((t) => t === TINY_SENTENCES[pair.target]),
        name,
      ).toBe(true);
      // The last k before the switch and the first after it, in the float64 reference.
      for (const row of [switchAt - 1, switchAt]) {
        const steer = [{ layer: TINY_STEER_LAYER, delta: v.map((x) => ks[row] * x), positions: 'prompt' as const }];
        expect(referenceImageGreedy(weights, input.embeds, steer), `${name} at k = ${ks[row]}`).toEqual(
          result.generated[row],
        );
      }
    }
  });
});
