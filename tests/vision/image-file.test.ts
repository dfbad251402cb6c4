// Image files: JPEG through jpeg-js against Pillow's libjpeg-turbo decode of the same file, and the
// preprocessing of that JPEG against transformers' pixel_values; refusals name the file.
//
// Bounds. Two JPEG decoders legitimately differ in IDCT rounding and in chroma upsampling
// (libjpeg-turbo's "fancy" triangle filter against jpeg-js's), which matters at sharp colour edges of
// 4:2:0 images. Measured on photo.jpg (64 x 48, quality 85): mean 2.2 levels, at most 46 on the disc's
// edge; after preprocessing, mean 0.014 and at most 0.55 in normalised units. Held to mean 3 levels /
// max 64, and mean 0.03 / max 1. A wrong colour transform or a swapped channel is off by tens of
// levels on average. PNG and lossless WebP are exact (preprocess.test.ts and below).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, readImageFile } from '../../src-main/engine/vision/image-file.js';
import { preprocessAnyres } from '../../src-main/engine/vision/preprocess.js';
import { readVisionWeights } from '../../src-main/engine/vision/weights.js';
import { tempDir } from '../engine/fixtures.js';
import { expectedTensor, maxAbsDiff, VISION_DIR } from './fixtures.js';

const JPEG = join(VISION_DIR, 'photo.jpg');

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('image files', () => {
  it('JPEG: jpeg-js pixels are within a few levels of Pillow', async () => {
    const image = await readImageFile(JPEG);
    expect([image.width, image.height]).toEqual([64, 48]);
    const pillow = expectedTensor('photo', 'decoded');
    expect(meanAbsDiff(image.data, pillow.data)).toBeLessThan(3);
    expect(maxAbsDiff(image.data, pillow.data)).toBeLessThanOrEqual(64);
  });

  it('JPEG: preprocessed pixels within the decoders difference of transformers', async () => {
    const { processor } = readVisionWeights(VISION_DIR);
    const got = preprocessAnyres(await readImageFile(JPEG), processor);
    const want = expectedTensor('photo', 'pixel_values');
    expect(want.shape[0]).toBe(got.tiles);
    expect(meanAbsDiff(got.pixelValues, want.data)).toBeLessThan(0.03);
    expect(maxAbsDiff(got.pixelValues, want.data)).toBeLessThan(1);
  });

  it('WebP (lossless) decodes to the PNG pixels, so preprocessing equals transformers as for PNG', async () => {
    const webp = await readImageFile(join(VISION_DIR, 'tall.webp'));
    const png = await readImageFile(join(VISION_DIR, 'tall.png'));
    expect([webp.width, webp.height]).toEqual([png.width, png.height]);
    expect(maxAbsDiff(webp.data, png.data)).toBe(0);
  });

  it('refuses other formats and broken files, naming the file', async () => {
    await expect(decodeImage(new TextEncoder().encode('GIF89a....'), 'a.gif')).rejects.toThrow(
      'a.gif: (file): expected a PNG, JPEG or WebP image, found another format',
    );
    const dir = tempDir();
    writeFileSync(join(dir, 'cut.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
    await expect(readImageFile(join(dir, 'cut.jpg'))).rejects.toThrow(
      /cut\.jpg: \(file\): expected a readable JPEG image/,
    );
    writeFileSync(join(dir, 'cut.webp'), new TextEncoder().encode('RIFF\u0010\u0000\u0000\u0000WEBPVP8 '));
    await expect(readImageFile(join(dir, 'cut.webp'))).rejects.toThrow(
      /cut\.webp: \(file\): expected a readable WebP image/,
    );
    await expect(readImageFile(join(dir, 'none.png'))).rejects.toThrow(
      /none\.png: \(file\): expected a readable image file, found ENOENT/,
    );
  });
});
