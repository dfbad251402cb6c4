// The vision tower + projector: the ONNX graph against the float64 plain-TypeScript reference, and the
// reference against transformers' per-tile image features (projector output before packing), all fed
// transformers' own pixel_values so preprocessing is not in the comparison.
//
// Tolerances. Graph vs reference: 1e-4 of max(1, largest |feature| of the tile), the decoder's bar:
// float32 over 3 layers rounds near 1e-6, while a wrong layer count, a kept CLS, tanh-GELU for erf-GELU
// or a missing pre_layrnorm moves features by 1e-2 or more. Reference vs transformers (float32): 1e-5 of
// the largest |feature| (features reach 40 with this random model; float32 over conv + 2 layers +
// projector measures 1.5e-6 relative), where the same mistakes cost 1e-3 relative or more.
import { describe, expect, it } from 'vitest';
import { buildVisionTowerModel } from '../../src-main/engine/graph/vision-tower.js';
import { createSession, ort } from '../../src-main/engine/session.js';
import { referenceImageFeatures } from '../../src-main/engine/vision/reference.js';
import { positionsPerTile, readVisionWeights } from '../../src-main/engine/vision/weights.js';
import { expectedTensor, IMAGE_NAMES, maxAbsDiff, VISION_DIR } from './fixtures.js';

const weights = readVisionWeights(VISION_DIR);

describe('vision tower', () => {
  it('reads the fixture as transformers configured it', () => {
    expect(weights.config.featureLayer).toBe(2); // vision_feature_layer -2 of 3 layers
    expect(weights.layers).toHaveLength(2);
    expect(positionsPerTile(weights.config)).toBe(16); // 'default' drops CLS from 4 x 4 + 1
  });

  it.each(IMAGE_NAMES)('%s: reference features equal transformers within 1e-5 relative', (name) => {
    const pixels = expectedTensor(name, 'pixel_values');
    const want = expectedTensor(name, 'image_features');
    const got = referenceImageFeatures(weights, pixels.data, pixels.shape[0]);
    expect(want.shape).toEqual([pixels.shape[0], 16, 64]);
    const scale = Math.max(1, ...want.data.map(Math.abs));
    expect(maxAbsDiff(got, want.data)).toBeLessThan(1e-5 * scale);
  });

  it('the ONNX graph equals the reference within 1e-4 relative, several tiles in one run', async () => {
    const model = buildVisionTowerModel(weights);
    const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
    const pixels = expectedTensor('square', 'pixel_values');
    const feeds = { pixel_values: new ort.Tensor('float32', pixels.data, pixels.shape) };
    const out = (await session.run(feeds)).image_features;
    expect(out.dims).toEqual([pixels.shape[0], 16, 64]);
    const got = out.data as Float32Array;
    const ref = referenceImageFeatures(weights, pixels.data, pixels.shape[0]);
    const tile = 16 * 64;
    for (let t = 0; t < pixels.shape[0]; t++) {
      let scale = 1;
      for (let i = 0; i < tile; i++) scale = Math.max(scale, Math.abs(ref[t * tile + i]));
      expect(maxAbsDiff(got.subarray(t * tile, (t + 1) * tile), ref.subarray(t * tile, (t + 1) * tile))).toBeLessThan(
        1e-4 * scale,
      );
    }
  });

  // The contrib-op layouts (bench:capture's BENCH_TOWER_VARIANTS) compute the same maths: same bar.
  it.each([
    { attention: 'fused-qkv' as const },
    { attention: 'mha' as const },
    { attention: 'attention' as const },
    { skipNorm: true },
    { attention: 'attention' as const, skipNorm: true },
  ])('the graph built with %o equals the reference within 1e-4 relative', async (options) => {
    const { session } = await createSession(buildVisionTowerModel(weights, options).bytes, {
      providers: 'cpu',
      intraOpNumThreads: 1,
    });
    const pixels = expectedTensor('tall', 'pixel_values');
    const out = (await session.run({ pixel_values: new ort.Tensor('float32', pixels.data, pixels.shape) }))
      .image_features;
    expect(out.dims).toEqual([pixels.shape[0], 16, 64]);
    const ref = referenceImageFeatures(weights, pixels.data, pixels.shape[0]);
    const scale = Math.max(1, ...ref.map(Math.abs));
    expect(maxAbsDiff(out.data as Float32Array, ref)).toBeLessThan(1e-4 * scale);
    await session.release();
  });

  it("strategy 'full' keeps CLS as the first position", () => {
    const full = { ...weights, config: { ...weights.config, selectStrategy: 'full' as const } };
    const pixels = expectedTensor('wide', 'pixel_values');
    const kept = referenceImageFeatures(full, pixels.data, 1);
    const dropped = referenceImageFeatures(weights, pixels.data, 1);
    expect(kept.length).toBe(17 * 64);
    expect(maxAbsDiff(kept.subarray(64), dropped)).toBe(0);
  });
});
