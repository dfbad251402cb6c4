// bench:capture's plumbing on small shapes (scripts/bench/capture-model.ts): the shape it reports, and its
// FLOP formula held to an independent count, the matrix-product FLOPs ONNX Runtime's profiler says the
// tower and the decoder-layer kernels ran for one image (shapes read from each kernel's inputs and
// output). Nothing here is timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packedLayout } from '../../src-main/engine/vision/pack.js';
import {
  captureFlops,
  captureImage,
  captureSessions,
  captureShape,
  randomPixels,
} from '../../scripts/bench/capture-model.js';
import { kernelFlops, summariseProfile } from '../../scripts/bench/capture-profile.js';

// A CLIP-shaped tower of 3 layers (2 run: vision_feature_layer -2) on 28-pixel tiles of 14-pixel patches
// (2 x 2 patches + CLS), and one grouped-query Mistral layer.
const SMALL = {
  vision: {
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    image_size: 28,
    patch_size: 14,
  },
  text: { hidden_size: 48, intermediate_size: 80, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 40 },
};

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('bench:capture shape', () => {
  it('is LLaVA-NeXT 1.6 Mistral-7B: CLIP-L/14-336 with 23 of 24 layers, 5 tiles and 2928 positions per 672 x 672 image', () => {
    const shape = captureShape();
    expect(shape.vision).toMatchObject({ hiddenSize: 1024, intermediateSize: 4096, nHeads: 16, nLayers: 24 });
    expect(shape.vision).toMatchObject({ featureLayer: 23, imageSize: 336, patchSize: 14, hiddenAct: 'quick_gelu' });
    expect(shape.vision.textHiddenSize).toBe(4096);
    expect(shape.text).toMatchObject({
      dModel: 4096,
      ffnDim: 14336,
      nHeads: 32,
      nKvHeads: 8,
      headDim: 128,
      nLayers: 1,
    });
    expect(shape.towerPositions).toBe(24 * 24 + 1);
    expect(shape.tiles).toBe(5);
    // the base tile's 576, then the 48 x 48 map with a newline after each of its 48 rows
    expect(shape.packedPositions).toBe(packedLayout(shape.layout, shape.vision).count);
    expect(shape.packedPositions).toBe(576 + 48 * 49);
    const base = captureShape({ tiles: 'base' });
    expect([base.tiles, base.packedPositions]).toEqual([1, 576]);
  });

  it('counts a Conv and a batched MatMul from their shapes', () => {
    // [5, 3, 28, 28] -> [5, 32, 2, 2] with 14 x 14 kernels: 2 x 640 outputs x 3 x 196
    expect(kernelFlops('Conv', [[5, 3, 28, 28]], [5, 32, 2, 2])).toBe(2 * 640 * 3 * 196);
    // [2, 4, 5, 8] x [2, 4, 8, 5]: 2 x 200 outputs x inner 8
    expect(
      kernelFlops(
        'FusedMatMul',
        [
          [2, 4, 5, 8],
          [2, 4, 8, 5],
        ],
        [2, 4, 5, 5],
      ),
    ).toBe(2 * 200 * 8);
    expect(kernelFlops('Softmax', [[2, 4, 5, 5]], [2, 4, 5, 5])).toBe(0);
  });
});

describe('bench:capture FLOP formula', () => {
  it.each(['anyres', 'base'] as const)(
    '%s: equals the matrix-product FLOPs the profiled kernels ran for one image, and the path captures every packed position',
    async (tiles) => {
      const shape = captureShape({ ...SMALL, tiles });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-capture-'));
      dirs.push(dir);
      const sessions = await captureSessions(shape, 1, { profileDir: dir });
      const pixels = randomPixels(shape, 5);
      const { rows } = await captureImage(sessions, pixels);
      sessions.tower.endProfiling();
      sessions.decoder.session.endProfiling();
      const file = (name: string) => path.join(dir, fs.readdirSync(dir).find((f) => f.startsWith(`${name}_`))!);
      const tower = summariseProfile(file('tower'));
      const decoder = summariseProfile(file('decoder'));
      const flops = captureFlops(shape);
      expect([tower.runs, decoder.runs]).toEqual([1, 1]);
      expect(tower.flops).toBe(flops.tower);
      expect(decoder.flops).toBe(flops.decoder);
      expect(flops.total).toBe(flops.tower + flops.decoder);

      // Captured layer 0 is the decoder's input: the packed features, base tile first.
      const d = shape.text.dModel;
      expect(rows.length).toBe(shape.packedPositions * d);
      const features = (await sessions.tower.run({ pixel_values: pixels })).image_features.data as Float32Array;
      expect(Array.from(rows.subarray(0, 4 * d))).toEqual(Array.from(features.subarray(0, 4 * d)));
      await sessions.tower.release();
      await sessions.decoder.session.release();
    },
  );
});
