// Anyres preprocessing against transformers' LlavaNextImageProcessor (PIL backend) on three images:
// square (2 x 2 grid), wide (1 x 3) and tall (3 x 1), each with padding that the grid has to absorb.
//
// Bound: 1e-6 absolute on normalised pixels (values in about [-1.8, 2.2]). resize.ts does Pillow's
// bicubic in Pillow's integer arithmetic, so the uint8 pixels are the same bytes; what remains is
// float32 rounding of (x/255 - mean)/std, a few ulps. A single uint8 step is 1/255/0.27 = 0.015, so
// any resampling difference (another kernel, no antialiasing, rounding between passes) fails by far.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseVisionConfig, readImageProcessor } from '../../src-main/engine/vision/config.js';
import { readImageFile } from '../../src-main/engine/vision/image-file.js';
import { fitInside, preprocessAnyres, selectBestResolution } from '../../src-main/engine/vision/preprocess.js';
import { resizeBicubic } from '../../src-main/engine/vision/resize.js';
import { readFileSync } from 'node:fs';
import { expectedTensor, expectedVision, IMAGE_NAMES, maxAbsDiff, VISION_DIR } from './fixtures.js';

const config = parseVisionConfig(JSON.parse(readFileSync(join(VISION_DIR, 'config.json'), 'utf8')));
const settings = readImageProcessor(VISION_DIR, config);

describe('anyres preprocessing', () => {
  it.each(IMAGE_NAMES)('%s: pixel_values and image_sizes equal transformers within 1e-6', async (name) => {
    const want = expectedVision().images[name];
    const image = await readImageFile(join(VISION_DIR, want.file));
    expect([image.width, image.height]).toEqual([want.width, want.height]);
    const got = preprocessAnyres(image, settings);
    const pixels = expectedTensor(name, 'pixel_values');
    expect(pixels.shape).toEqual([got.tiles, 3, 28, 28]);
    expect(got.tiles).toBe(want.tiles);
    expect(got.imageSize).toEqual(want.image_sizes);
    expect(maxAbsDiff(got.pixelValues, pixels.data)).toBeLessThan(1e-6);
  });

  it('selects the resolution transformers selects (most kept pixels, then least waste)', () => {
    const pins: [number, number][] = [
      [336, 672],
      [672, 336],
      [672, 672],
      [1008, 336],
      [336, 1008],
    ];
    // worked by hand from select_best_resolution: a 500 x 375 (w x h) photo keeps all its pixels in
    // 672 x 672 only; a 1000 x 300 strip fits 336 x 1008 at scale 1.008, keeping everything
    expect(selectBestResolution([375, 500], pins)).toEqual([672, 672]);
    expect(selectBestResolution([300, 1000], pins)).toEqual([336, 1008]);
    expect(selectBestResolution([1000, 300], pins)).toEqual([1008, 336]);
    // small images keep all pixels everywhere: the least waste wins
    expect(
      selectBestResolution(
        [40, 90],
        [
          [28, 56],
          [56, 28],
          [56, 56],
          [84, 28],
          [28, 84],
        ],
      ),
    ).toEqual([28, 84]);
    // 375 * (672 / 500) is 504.00000000000006 in doubles, and transformers' ceil makes it 505
    expect(fitInside([375, 500], [672, 672])).toEqual([505, 672]);
    expect(fitInside([70, 30], [84, 28])).toEqual([66, 28]);
  });

  it('resizing to the same size is a copy; upscaling a constant image keeps it constant', () => {
    const image = { width: 3, height: 2, data: new Uint8Array(18).fill(77) };
    expect(resizeBicubic(image, 3, 2).data).toEqual(image.data);
    expect(new Set(resizeBicubic(image, 7, 5).data)).toEqual(new Set([77]));
  });
});
