// The demo's tiny hand-set Mistral model (issues 13 and 14): its folder imports with import-model, it
// answers each class's prompt with that class's sentence, and steering h[:P] += k·v_target at layer 1
// switches the answer to the target's sentence exactly at the derived threshold: checked in the ONNX
// engine worker, in the plain-TypeScript reference, and against transformers' outputs for the same
// folder (tests/fixtures/make_tiny_demo_expected.py). The class is readable along its concept
// direction at layer 1 and not at layer 0.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODEL_NAME, writeTinyModel, type TinyModelFiles } from '../../src-main/demo/tiny-model';
import { EXPECTED, writeTinyDemo, type TinyDemo } from './tiny-expected';
import { classWordOf, TINY_SENTENCES, tinyPromptOf, tinyScript } from '../../src-main/demo/tiny-script';
import { MAX_CLEAN_K, TINY_STEER_LAYER, TINY_THRESHOLD, tinyWeights } from '../../src-main/demo/tiny-weights';
import { PICTOGRAM_CLASSES, type PictogramClass } from '../../src-main/demo/pictograms';
import { EngineClient } from '../../src-main/engine/client';
import { openLmFolder, readLmWeights, type LmWeights } from '../../src-main/engine/lm/folder';
import { referenceForward, referenceGreedy } from '../../src-main/engine/lm/reference';
import { loadLmTokenizer, type LmTokenizer } from '../../src-main/engine/lm/tokenizer';
import { importModel } from '../../src-main/importers/model-import';
import { importVector } from '../../src-main/steer/vectors';
import { openProject } from '../../src-main/project/project';

const EPSILON = 0.01;
const TOKENS = 16;
const sha256Of = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let demo: TinyDemo;
let files: TinyModelFiles;
let tokenizer: LmTokenizer;
let weights: LmWeights;
let client: EngineClient;
let lmId: string;
const { directions, script } = tinyWeights();
const directionOf = (className: PictogramClass) => directions[script.classes.indexOf(className)];
const steer = (target: PictogramClass, k: number) => [
  { layer: TINY_STEER_LAYER, delta: directionOf(target).map((x) => k * x), positions: 'prompt' as const },
];

beforeAll(async () => {
  demo = await writeTinyDemo();
  files = demo.files;
  tokenizer = loadLmTokenizer(files.folder);
  weights = readLmWeights(openLmFolder(files.folder));
  client = EngineClient.start();
  lmId = (await client.loadLm({ folder: files.folder, providers: 'cpu', intraOpNumThreads: 1 })).lmId;
});

afterAll(async () => {
  await client?.close();
  fs.rmSync(demo.root, { recursive: true, force: true });
});

describe('the demo tiny model', () => {
  it('is the folder transformers was run on: same weights, same prompt ids', () => {
    // A change to the weights must come with a regenerated fixture.
    expect(sha256Of(path.join(files.folder, 'model.safetensors')), `regenerate: ${demo.regenerate}`).toBe(
      EXPECTED.model_safetensors_sha256,
    );
    for (const pair of EXPECTED.pairs) expect(tokenizer.encode(pair.prompt)).toEqual(pair.ids);
    expect(EXPECTED.layer).toBe(TINY_STEER_LAYER);
  });

  it('imports with import-model as a LLaVA-NeXT with a Mistral decoder with grouped-query attention, and its directions with vector import', async () => {
    const project = openProject(path.join(demo.root, 'p.sightline'), { create: true });
    try {
      const model = await importModel(project, { path: files.folder, name: TINY_MODEL_NAME });
      expect(model).toMatchObject({
        architecture: 'LlavaNextForConditionalGeneration',
        dModel: 64,
        nLayers: 2,
        dtype: 'F32',
      });
      expect(model.config).toMatchObject({ nHeads: 4, nKvHeads: 2, headDim: 16, tiedEmbeddings: false });
      expect(model.vocabSize).toBe(script.vocab.length);
      for (const className of PICTOGRAM_CLASSES) {
        const vector = await importVector(project, {
          path: files.directionsFile,
          name: className,
          key: files.directionKeys.get(className)!,
        });
        expect(vector.dModel).toBe(64);
        expect(Math.hypot(...vector.values)).toBeCloseTo(1, 6);
        expect([...vector.values]).toEqual([...directionOf(className)]);
      }
    } finally {
      project.close();
    }
  });

  it('answers each class prompt with that class sentence, word for word, in the engine and in the reference', async () => {
    const prompts = PICTOGRAM_CLASSES.map((className) => tokenizer.encode(tinyPromptOf(className)));
    // Every prompt word is in the vocabulary (no <unk>), and the class word comes right before the full stop.
    for (const [i, ids] of prompts.entries()) {
      expect(ids).not.toContain(0);
      expect(ids.at(-2)).toBe(script.vocab.indexOf(classWordOf(PICTOGRAM_CLASSES[i])));
    }
    const result = await client.generate({ lmId, prompts, tokens: TOKENS });
    PICTOGRAM_CLASSES.forEach((className, i) => {
      expect(tokenizer.decode(result.generated[i])).toBe(TINY_SENTENCES[className]);
      expect(referenceGreedy(weights, prompts[i], TOKENS)).toEqual(result.generated[i]);
    });
  });

  it(`switches from the source sentence to the target sentence between k = ${TINY_THRESHOLD} ± ${EPSILON}, as transformers does`, async () => {
    for (const pair of EXPECTED.pairs) {
      const ks = pair.runs.map((run) => run.k);
      expect(ks).toContain(TINY_THRESHOLD - EPSILON);
      expect(ks).toContain(TINY_THRESHOLD + EPSILON);
      const result = await client.generate({
        lmId,
        prompts: ks.map(() => pair.ids),
        steers: ks.map((k) => steer(pair.target, k)),
        tokens: TOKENS,
      });
      pair.runs.forEach((run, row) => {
        const name = `${pair.source} -> ${pair.target} at k = ${run.k}`;
        expect(result.generated[row], name).toEqual(run.greedy);
        expect(tokenizer.decode(result.generated[row]), name).toBe(
          TINY_SENTENCES[run.k < TINY_THRESHOLD ? pair.source : pair.target],
        );
      });
      // The derivation, not only the fixture: the reference pass flips at the same place.
      for (const k of [TINY_THRESHOLD - EPSILON, TINY_THRESHOLD + EPSILON, MAX_CLEAN_K]) {
        const text = tokenizer.decode(referenceGreedy(weights, pair.ids, TOKENS, steer(pair.target, k)));
        expect(text, `${pair.source} -> ${pair.target} at k = ${k}`).toBe(
          TINY_SENTENCES[k < TINY_THRESHOLD ? pair.source : pair.target],
        );
      }
    }
  });

  it('encodes the prompt class along its concept direction at layer 1 (THRESHOLD at the class word) and not at layer 0', () => {
    for (const probe of EXPECTED.probes) {
      const ids = tokenizer.encode(tinyPromptOf(probe.class));
      const { hidden } = referenceForward(weights, { ids, captureLayers: [0, 1] });
      const word = ids.length - 2;
      for (const layer of [0, 1] as const) {
        const row = hidden.get(layer)!.subarray(word * 64, (word + 1) * 64);
        for (const className of PICTOGRAM_CLASSES) {
          const projection = directionOf(className).reduce((sum, x, i) => sum + x * row[i], 0);
          const want = layer === 1 && className === probe.class ? TINY_THRESHOLD : 0;
          expect(projection, `${probe.class} on ${className} at layer ${layer}`).toBeCloseTo(want, 4);
          expect(projection).toBeCloseTo(probe.layers[String(layer) as '0' | '1'][className], 4);
        }
      }
    }
  });

  it('refuses sentences the weights cannot tell apart: a shared word followed by a shared word in one and its own in another, a repeat, a class word', () => {
    const withSentence = (className: PictogramClass, sentence: string) =>
      tinyScript({ ...TINY_SENTENCES, [className]: sentence });
    // After "in" would come "clear" (goldfish) or "water", a word of two sentences, which no topic selects.
    expect(() => withSentence('strawberry', 'It is a ripe red fruit in water')).toThrow(
      /after "in" comes clear \/ water: not one word, nor one per sentence/,
    );
    // Two sentences may share a word and its successor if what follows is again one word or one per topic.
    expect(() => withSentence('strawberry', 'It is a ripe red fruit in clear light')).not.toThrow();
    expect(() => withSentence('volcano', 'It is a tall tall mountain')).toThrow(/"volcano" repeats a word/);
    expect(() => withSentence('volcano', 'It is a hot mountain like a goldfish')).toThrow(/repeats a word|class word/);
    expect(() => withSentence('volcano', 'It is hot lava near the bus')).toThrow(/uses the class word "bus"/);
    expect(() => withSentence('volcano', 'Lava and smoke')).toThrow(/starts with the same word/);
    expect(tinyScript().vocab).toEqual(script.vocab);
  });

  it('writes the same bytes every time', async () => {
    const again = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-tiny-'));
    try {
      const second = await writeTinyModel(again);
      for (const name of fs.readdirSync(files.folder))
        expect(sha256Of(path.join(second.folder, name)), name).toBe(sha256Of(path.join(files.folder, name)));
      expect(sha256Of(second.directionsFile)).toBe(sha256Of(files.directionsFile));
    } finally {
      fs.rmSync(again, { recursive: true, force: true });
    }
  });
});
