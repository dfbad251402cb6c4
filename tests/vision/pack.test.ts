// Packing against transformers' pack_image_features and the merged inputs_embeds, on the square (2 x 2
// grid, nothing to unpad), wide (1 x 3, columns cut) and tall (3 x 1, rows cut) images.
//
// Counts and ids are exact. Packing transformers' own tile features must give transformers' packed
// features bit for bit (it only moves rows). The merged inputs_embeds built from our reference tower
// is held to 1e-5 of the largest |value| (the tower's own bound, vision-tower.test.ts); a misplaced
// row, a missing newline or an unpadded map off by one column moves whole rows by O(1).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { readImageFile } from '../../src-main/engine/vision/image-file.js';
import {
  expandImageTokens,
  mergeImageEmbeds,
  packedLayout,
  packImageFeatures,
} from '../../src-main/engine/vision/pack.js';
import { preprocessAnyres } from '../../src-main/engine/vision/preprocess.js';
import { referenceImageFeatures } from '../../src-main/engine/vision/reference.js';
import { readVisionWeights } from '../../src-main/engine/vision/weights.js';
import { expectedTensor, expectedVision, IMAGE_NAMES, maxAbsDiff, VISION_DIR } from './fixtures.js';

const vision = readVisionWeights(VISION_DIR);
const lm = readLmWeights(openLmFolder(VISION_DIR));

async function layoutOf(name: (typeof IMAGE_NAMES)[number]) {
  const want = expectedVision().images[name];
  return preprocessAnyres(await readImageFile(join(VISION_DIR, want.file)), vision.processor);
}

describe('packing image features', () => {
  it('counts positions as worked by hand from unpad_image', () => {
    // 4 x 4 patches per tile; base 16. square 40x40 on 2x2: 8x8 map, nothing cut: 16 + 8*9.
    // wide 90x40 on 1x3: 4x12 map, width 90*4/40 = 9 -> one column cut each side: 16 + 4*11.
    // tall 30x70 on 3x1: 12x4 map, height 70*4/30 = 9.3 -> 9 -> one row cut each side: 16 + 10*5.
    expect(packedLayout({ imageSize: [40, 40], grid: [2, 2] }, vision.config).count).toBe(88);
    expect(packedLayout({ imageSize: [40, 90], grid: [1, 3] }, vision.config)).toMatchObject({ cols: 10, count: 60 });
    expect(packedLayout({ imageSize: [70, 30], grid: [3, 1] }, vision.config)).toMatchObject({ rows: 10, count: 66 });
  });

  it.each(IMAGE_NAMES)('%s: count and expanded ids exact; packed features bit-equal transformers', async (name) => {
    const want = expectedVision().images[name];
    const layout = await layoutOf(name);
    const count = packedLayout(layout, vision.config).count;
    expect(count).toBe(want.image_positions);
    expect(expandImageTokens(want.prompt_ids, vision.config.imageTokenId, [count])).toEqual(want.expanded_ids);
    const packed = packImageFeatures(
      expectedTensor(name, 'image_features').data,
      layout,
      vision.config,
      vision.imageNewline,
    );
    const wantPacked = expectedTensor(name, 'packed');
    expect(wantPacked.shape).toEqual([count, 64]);
    expect(maxAbsDiff(packed, wantPacked.data)).toBe(0);
  });

  it.each(IMAGE_NAMES)('%s: merged inputs_embeds from our pixels and tower within 1e-5 relative', async (name) => {
    const want = expectedVision().images[name];
    const layout = await layoutOf(name);
    const features = Float32Array.from(referenceImageFeatures(vision, layout.pixelValues, layout.tiles));
    const packed = packImageFeatures(features, layout, vision.config, vision.imageNewline);
    const embeds = mergeImageEmbeds(want.expanded_ids, vision.config.imageTokenId, lm.tensors.embed, packed, 64);
    const wantEmbeds = expectedTensor(name, 'inputs_embeds');
    const scale = Math.max(1, ...wantEmbeds.data.map(Math.abs));
    expect(maxAbsDiff(embeds, wantEmbeds.data)).toBeLessThan(1e-5 * scale);
  });

  it('a prompt whose <image> tokens do not match the images is refused', () => {
    expect(() => expandImageTokens([1, 5, 6], 120, [60])).toThrow(
      /expected 1 <image> token \(one per image\), found 0/,
    );
    expect(() => expandImageTokens([1, 120, 120], 120, [60])).toThrow(/found 2/);
  });

  it("strategy 'full' is refused for the anyres grid, as transformers refuses it", () => {
    const full = { ...vision.config, selectStrategy: 'full' as const };
    expect(() => packedLayout({ imageSize: [40, 40], grid: [2, 2] }, full)).toThrow(/'full' cannot be packed/);
  });

  it('the config is the one the fixture was made with', () => {
    const config = JSON.parse(readFileSync(join(VISION_DIR, 'config.json'), 'utf8'));
    expect(config.vision_feature_layer).toBe(-2);
    expect(vision.config.imageTokenId).toBe(expectedVision().image_token_id);
  });
});
