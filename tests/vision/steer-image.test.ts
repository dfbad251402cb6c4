// The Steer page's image (issue 14) through the contract (dispatch) on the LLaVA-NeXT vision fixture:
// steer.generate with an image gives transformers' plain and steered greedy tokens for it in its two
// rows (k = 0 and steered), with the image's number of positions; steer.imagePreview answers a small
// PNG it encoded itself and the positions, and reads nothing that is not an image file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import type { ImagePreview, SteerGenerateOutput } from '../../src-main/contract/index.js';
import { LmPool } from '../../src-main/engine/lm-pool.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { replaceLiveEngine } from '../../src-main/steer/live.js';
import { npyBytes, tempDir } from '../engine/fixtures.js';
import { importModel, runJson } from '../helpers/cli.js';
import { TestClock } from '../helpers/clock.js';
import { contextFor, researcher } from '../helpers/factories.js';
import { fixtureFolder } from '../lm/hf-fixtures.js';
import { expectedVision, VISION_DIR } from './fixtures.js';

const want = expectedVision();
let dir: string;
let project: Project;
let context: ReturnType<typeof contextFor>;

beforeAll(async () => {
  await replaceLiveEngine(new LmPool({ clock: new TestClock() }));
  dir = tempDir();
  const vectorFile = join(dir, 'v.npy');
  const v = Float32Array.from(want.steer.vector);
  writeFileSync(vectorFile, npyBytes(v, [v.length]));
  const projectDir = join(dir, 'steer.sightline');
  expect((await runJson(['init', '--project', projectDir])).code).toBe(0);
  await importModel(projectDir, VISION_DIR, 'vision');
  await importModel(projectDir, fixtureFolder('llama'), 'text');
  const imported = await runJson(['vector', 'import', '--project', projectDir, '--path', vectorFile, '--name', 'v']);
  expect(imported.code).toBe(0);
  project = openProject(projectDir);
  context = contextFor(project, researcher);
});
afterAll(async () => {
  await replaceLiveEngine(new LmPool({ clock: new TestClock() }));
  project?.close();
});

async function call<T>(name: string, input: unknown): Promise<T> {
  const result = await dispatch(name, input, context);
  if (!result.ok) throw new Error(`${name}: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

async function refusal(name: string, input: unknown): Promise<{ code: string; message: string }> {
  const result = await dispatch(name, input, context);
  if (result.ok) throw new Error(`${name}: expected a refusal`);
  return result.error;
}

describe('steer.generate with an image', () => {
  it.each(['square', 'tall'] as const)("%s: transformers' plain and steered tokens side by side", async (name) => {
    const image = want.images[name];
    const answer = await call<SteerGenerateOutput>('steer.generate', {
      model: 'vision',
      prompt: want.prompt,
      vector: 'v',
      layer: want.steer.layer,
      method: 'add',
      k: want.steer.k,
      positions: 'prompt',
      tokens: 20,
      image: join(VISION_DIR, image.file),
      stream: `image-${name}`,
    });
    expect(answer.promptIds).toEqual(image.expanded_ids);
    expect(answer.imagePositions).toBe(image.image_positions);
    expect(answer.baseline.ids).toEqual(image.greedy);
    expect(answer.steered.ids).toEqual(image.steered_greedy);
    expect(answer.spec.image).toMatchObject({ positions: image.image_positions });
  });

  it('refuses an image for a text-only model', async () => {
    const error = await refusal('steer.generate', {
      model: 'text',
      prompt: 'The image shows a',
      vector: 'v',
      layer: 1,
      k: 1,
      tokens: 2,
      image: join(VISION_DIR, 'square.png'),
      stream: 'text-image',
    });
    expect(error.message).toMatch(/text-only model/);
  });
});

describe('steer.imagePreview', () => {
  it('answers a small PNG the server encoded, the image size and, for a LLaVA-NeXT model, its positions', async () => {
    for (const name of ['wide', 'tall'] as const) {
      const image = want.images[name];
      const preview = await call<ImagePreview>('steer.imagePreview', {
        path: join(VISION_DIR, image.file),
        model: 'vision',
      });
      expect(preview).toMatchObject({
        width: image.width,
        height: image.height,
        mime: 'image/png',
        positions: image.image_positions,
      });
      expect(preview.dataUrl.startsWith('data:image/png;base64,')).toBe(true);
      const png = PNG.sync.read(Buffer.from(preview.dataUrl.split(',')[1], 'base64'));
      expect(Math.max(png.width, png.height)).toBeLessThanOrEqual(256);
      // the aspect ratio kept (to the pixel)
      expect(Math.abs(png.width / png.height - image.width / image.height)).toBeLessThan(
        2 / Math.min(png.width, png.height),
      );
    }
    const webp = await call<ImagePreview>('steer.imagePreview', { path: join(VISION_DIR, 'tall.webp') });
    expect(webp).toMatchObject({ mime: 'image/webp', positions: null });
  });

  it('reads nothing that is not an image file', async () => {
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'not for the page');
    expect(await refusal('steer.imagePreview', { path: secret })).toMatchObject({ code: 'invalid_input' });
    const disguised = join(dir, 'secret.png');
    writeFileSync(disguised, 'not for the page either');
    const bad = await refusal('steer.imagePreview', { path: disguised });
    expect(bad.code).toBe('bad_file');
    expect(bad.message).not.toContain('not for the page');
    const folder = join(dir, 'folder.png');
    mkdirSync(folder);
    expect(await refusal('steer.imagePreview', { path: folder })).toMatchObject({ code: 'not_found' });
    const text = await refusal('steer.imagePreview', { path: join(VISION_DIR, 'square.png'), model: 'text' });
    expect(text.message).toMatch(/text-only model/);
  });
});
