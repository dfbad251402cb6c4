// `sightline generate --image` on the LLaVA-NeXT vision fixture, end to end through the CLI, the
// contract, the tokenizer, preprocessing on the caller's side and the engine worker (vision tower
// session, packing, the inputs_embeds decoder): transformers' 20 greedy tokens for the square, wide and
// tall images, plain and steered at layer 1 over the prompt positions (which include every image
// position), the expanded prompt ids and the number of image positions, and the refusals.
//
// Exact token equality is the bar: the fixture generator checked that every greedy step's top-1/top-2
// logit margin is at least 7.5e-3, far above the float32 differences measured in vision-tower.test.ts
// and pack.test.ts (1e-5 relative), so only a real mistake can flip a token.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLmTokenizer } from '../../src-main/engine/lm/tokenizer.js';
import { expandImageTokens } from '../../src-main/engine/vision/pack.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { npyBytes, tempDir } from '../engine/fixtures.js';
import { generateArgs, importModel, runCaptured, runJson } from '../helpers/cli.js';
import { fixtureFolder } from '../lm/hf-fixtures.js';
import { expectedVision, IMAGE_NAMES, VISION_DIR } from './fixtures.js';

let project: Project;
let dir: string;
let vectorFile: string;
beforeAll(async () => {
  dir = tempDir();
  project = openProject(join(dir, 'test.sightline'), { create: true });
  for (const [name, path] of [
    ['vision', VISION_DIR],
    ['text', fixtureFolder('llama')],
  ]) {
    await importModel(project.dir, path, name);
  }
  const v = Float32Array.from(expectedVision().steer.vector);
  vectorFile = join(dir, 'v.npy');
  writeFileSync(vectorFile, npyBytes(v, [v.length]));
});
afterAll(() => project.close());

const generate = (model: string, prompt: string, ...extra: string[]) =>
  runJson([...generateArgs(project.dir, model, prompt, 20), '--greedy', ...extra]);

describe('generate --image', () => {
  it.each(IMAGE_NAMES)("%s: transformers' 20 greedy tokens, plain and steered over the prompt", async (name) => {
    const want = expectedVision().images[name];
    const image = join(VISION_DIR, want.file);
    const plain = await generate('vision', expectedVision().prompt, '--image', image);
    expect(plain.code).toBe(0);
    expect(plain.value).toMatchObject({
      promptIds: want.expanded_ids,
      imagePositions: want.image_positions,
      generatedIds: want.greedy,
      spec: { image: { file: image, positions: want.image_positions } },
    });
    const { layer, k } = expectedVision().steer;
    const steered = await generate(
      'vision',
      expectedVision().prompt,
      '--image',
      image,
      '--vector-file',
      vectorFile,
      '--layer',
      String(layer),
      '--k',
      String(k),
      '--positions',
      'prompt',
    );
    expect(steered.code).toBe(0);
    expect(steered.value.generatedIds).toEqual(want.steered_greedy);
  });

  it('--precision int8 with --image: recorded, the image rows run on the int8 weights from the cache', async () => {
    const want = expectedVision().images.tall;
    const image = join(VISION_DIR, want.file);
    const r = await generate('vision', expectedVision().prompt, '--image', image, '--precision', 'int8');
    expect(r.code).toBe(0);
    expect(r.value.spec.precision).toBe('int8');
    // the int8 tokens part from fp32's at step 11 (tests/vision/image-cache.test.ts holds them to the
    // fp64 reference on the int8 weights); before, image rows silently ran on fp32 weights
    expect(r.value.generatedIds.slice(0, 10)).toEqual(want.greedy.slice(0, 10));
    expect(r.value.generatedIds).not.toEqual(want.greedy);
    const sha = r.value.spec.model.sha256.slice(0, 16);
    expect(readdirSync(join(project.dir, 'cache'))).toEqual(
      expect.arrayContaining([`lm-${sha}-int8.json`, `lm-${sha}-int8.weights`]),
    );
  });

  it('streams the same text without --json and says how many positions the image took', async () => {
    const want = expectedVision().images.tall;
    const argv = ['generate', '--project', project.dir, '--model', 'vision', '--prompt', expectedVision().prompt];
    const { code, out, err } = await runCaptured([...argv, '--tokens', '20', '--image', join(VISION_DIR, want.file)]);
    expect(code).toBe(0);
    const json = await generate('vision', expectedVision().prompt, '--image', join(VISION_DIR, want.file));
    expect(out).toBe(`${json.value.text}\n`);
    expect(err).toContain(`image: ${want.image_positions} positions`);
  });

  it('puts <image> in front of a prompt without one', async () => {
    const want = expectedVision().images.wide;
    // "<image> What is ..." and "<image>\nWhat is ..." tokenise alike here (Metaspace splits on both)
    const result = await generate('vision', 'What is in this picture?', '--image', join(VISION_DIR, want.file));
    expect(result.code).toBe(0);
    expect(result.value.imagePositions).toBe(want.image_positions);
    expect(result.value.promptIds.filter((id: number) => id === expectedVision().image_token_id)).toHaveLength(
      want.image_positions,
    );
  });

  it('--chat: the image goes into the user message, where the chat template places it', async () => {
    const want = expectedVision().images.square;
    const tokenizer = loadLmTokenizer(VISION_DIR);
    const result = await generate(
      'vision',
      'What is in this picture?',
      '--chat',
      '--image',
      join(VISION_DIR, want.file),
    );
    expect(result.code).toBe(0);
    const templated = tokenizer.encodeChat([{ role: 'user', content: '<image>\nWhat is in this picture?' }], {
      addGenerationPrompt: true,
    });
    expect(result.value.promptIds).toEqual(expandImageTokens(templated, 120, [want.image_positions]));
    // the template's "USER: " comes before the image
    expect(result.value.promptIds.indexOf(120)).toBeGreaterThan(1);
  });

  it('refuses an image for a text-only model, a non-image file and two <image> in the prompt', async () => {
    const image = join(VISION_DIR, 'square.png');
    const text = await generate('text', 'The image shows a', '--image', image);
    expect(text.code).toBe(2);
    expect(text.value.error.message).toMatch(/text-only model/);
    const notImage = join(dir, 'notes.png');
    writeFileSync(notImage, 'hello');
    const bad = await generate('vision', 'What?', '--image', notImage);
    expect(bad.value.error.message).toMatch(/notes\.png: \(file\): expected a PNG, JPEG or WebP image/);
    const twice = await generate('vision', '<image> and <image>', '--image', image);
    expect(twice.value.error.message).toMatch(/expected 1 <image> token \(one per image\), found 2/);
  });
});
