// An image generation on a LLaVA-NeXT model whose weights go through the project's cache as ONNX
// external data (what a 7B checkpoint needs): `externalAbove: 0` sends the tiny fixture down that path.
// The image rows run on the model's one decoder session (ids plus embeddings at the image positions),
// so the decoder's weights are read once, into the cache entry, and the vision tower gets its own
// entry; transformers' greedy tokens come out unchanged.
//
// The proof that an image request reads no weight from the checkpoint once the entries exist: every
// tensor byte of the source file is overwritten with NaN (header, size and mtime kept, so the entries
// stay fresh); a new engine then loads and generates from the entries alone, and the tokens are
// transformers'. Reading any tensor from the source would make every logit NaN.
//
// int8: the tokens equal the fp64 reference's greedy tokens on the int8 weights as stored (dequantised
// blocks, lm/quantise.ts) fed our merged image embeddings (reference tower, our packing): the same
// check tests/lm/precision-cli.test.ts makes for text.
import { closeSync, cpSync, openSync, readdirSync, readSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { argmax, referenceForward } from '../../src-main/engine/lm/reference.js';
import { createLmHandlers } from '../../src-main/engine/lm-handlers.js';
import type { Precision } from '../../src-main/engine/lm/weight-cache.js';
import { readImageFile } from '../../src-main/engine/vision/image-file.js';
import { mergeImageEmbeds, packImageFeatures } from '../../src-main/engine/vision/pack.js';
import { preprocessAnyres } from '../../src-main/engine/vision/preprocess.js';
import { referenceImageFeatures } from '../../src-main/engine/vision/reference.js';
import { readVisionWeights } from '../../src-main/engine/vision/weights.js';
import { tempDir } from '../engine/fixtures.js';
import { storedAsFp32 } from '../lm/stored-weights.js';
import { expectedVision, type ImageName, VISION_DIR } from './fixtures.js';

const SHA = 'c0ffee'.repeat(10) + 'abcd';
const vision = readVisionWeights(VISION_DIR);

async function generateWithImage(folder: string, cacheFolder: string, name: ImageName, precision: Precision) {
  const handlers = createLmHandlers();
  try {
    const loaded = await handlers.loadLm({
      folder,
      providers: 'cpu',
      intraOpNumThreads: 1,
      precision,
      cache: { folder: cacheFolder, sourceSha256: SHA },
      externalAbove: 0,
    });
    const want = expectedVision().images[name];
    const pixels = preprocessAnyres(await readImageFile(join(VISION_DIR, want.file)), vision.processor);
    const result = await handlers.generate({
      lmId: loaded.lmId,
      prompts: [want.expanded_ids, expectedVision().images.square.expanded_ids],
      // a text row beside the image row: the same session serves both in one batch
      images: [pixels, undefined],
      tokens: 20,
    });
    return { loaded, image: result.generated[0], text: result.generated[1] };
  } finally {
    await handlers.disposeAllLms();
  }
}

// A whole second: utimes round-trips it exactly, so the poisoned file's stamp matches the entries'.
const STAMP = 1_700_000_000;

/** Every tensor byte of a safetensors file set to 0xFF (NaN in F32/F16/BF16); header, size and mtime kept. */
function poisonTensors(path: string): void {
  const fd = openSync(path, 'r+');
  const head = Buffer.alloc(8);
  readSync(fd, head, 0, 8, 0);
  const start = 8 + Number(head.readBigUInt64LE(0));
  writeSync(fd, Buffer.alloc(statSync(path).size - start, 0xff), 0, statSync(path).size - start, start);
  closeSync(fd);
  utimesSync(path, STAMP, STAMP);
}

describe('generate with an image from cached weights (ONNX external data)', () => {
  it("fp32: transformers' tokens; decoder and tower entries written, then used alone", async () => {
    const folder = join(tempDir(), 'llava');
    cpSync(VISION_DIR, folder, { recursive: true });
    utimesSync(join(folder, 'model.safetensors'), STAMP, STAMP);
    const cache = join(tempDir(), 'cache');
    const want = expectedVision().images.wide;

    const first = await generateWithImage(folder, cache, 'wide', 'fp32');
    expect(first.loaded.weights).toBe('cache-written');
    expect(first.image).toEqual(want.greedy);
    const entry = SHA.slice(0, 16);
    expect(readdirSync(cache).sort()).toEqual([
      `lm-${entry}-fp32.json`,
      `lm-${entry}-fp32.weights`,
      `vision-${entry}-fp32.json`,
      `vision-${entry}-fp32.weights`,
    ]);

    poisonTensors(join(folder, 'model.safetensors'));
    const again = await generateWithImage(folder, cache, 'wide', 'fp32');
    expect(again.loaded.weights).toBe('cache-reused');
    expect(again.image).toEqual(want.greedy);
    // the text row in the same batch: the square prompt's ids with no image features, as before
    expect(again.text).toEqual(first.text);
  });

  it("int8: the fp64 reference's greedy tokens on the int8 weights with our image embeddings", async () => {
    const name: ImageName = 'tall';
    const want = expectedVision().images[name];
    const { image } = await generateWithImage(VISION_DIR, join(tempDir(), 'cache'), name, 'int8');

    const lm = storedAsFp32(readLmWeights(openLmFolder(VISION_DIR)), 'int8');
    const pixels = preprocessAnyres(await readImageFile(join(VISION_DIR, want.file)), vision.processor);
    const features = Float32Array.from(referenceImageFeatures(vision, pixels.pixelValues, pixels.tiles));
    const packed = packImageFeatures(features, pixels, vision.config, vision.imageNewline);
    const { dModel: D, vocabSize: V } = lm.config;
    const ids = [...want.expanded_ids];
    const tokens: number[] = [];
    for (let n = 0; n < 20; n++) {
      const embeds = mergeImageEmbeds(ids, vision.config.imageTokenId, lm.tensors.embed, packed, D);
      const { logits } = referenceForward(lm, { embeds });
      const next = argmax(logits, (ids.length - 1) * V, V);
      tokens.push(next);
      ids.push(next);
    }
    expect(image).toEqual(tokens);
    // and they are not the fp32 tokens (they part at step 11): the image rows really ran on int8 weights
    expect(image).not.toEqual(want.greedy);
  });
});
