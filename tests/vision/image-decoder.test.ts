// The language model fed our merged inputs_embeds (our pixels, our tower, our packing) against
// transformers run on its own pixels: hidden_states[1] and [2] (the residual stream entering blocks 1
// and 2) at every position, and the logits at every position, for the three images.
//
// Tolerance: 1e-4 of max(1, largest |value| of the row), the decoder tests' bar (decoder-graph.test.ts).
// The inputs differ from transformers' by 1e-5 relative (pack.test.ts) and float32 adds ~1e-6; a
// misplaced image row or a wrong newline moves whole rows of hidden state by O(1).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder.js';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { createSession, ort } from '../../src-main/engine/session.js';
import { readImageFile } from '../../src-main/engine/vision/image-file.js';
import { mergeImageEmbeds, packImageFeatures } from '../../src-main/engine/vision/pack.js';
import { preprocessAnyres } from '../../src-main/engine/vision/preprocess.js';
import { referenceImageFeatures } from '../../src-main/engine/vision/reference.js';
import { readVisionWeights } from '../../src-main/engine/vision/weights.js';
import { expectedTensor, expectedVision, IMAGE_NAMES, VISION_DIR } from './fixtures.js';

const vision = readVisionWeights(VISION_DIR);
const lm = readLmWeights(openLmFolder(VISION_DIR));

function worstRowError(actual: Float32Array, wanted: Float32Array, rows: number, width: number): number {
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    let scale = 1;
    for (let i = 0; i < width; i++) scale = Math.max(scale, Math.abs(wanted[r * width + i]));
    for (let i = 0; i < width; i++)
      worst = Math.max(worst, Math.abs(actual[r * width + i] - wanted[r * width + i]) / scale);
  }
  return worst;
}

describe('the decoder on merged image embeddings', () => {
  it.each(IMAGE_NAMES)('%s: hidden_states[1], [2] and logits at every position equal transformers', async (name) => {
    const want = expectedVision().images[name];
    const layers = expectedVision().hidden_layers;
    expect(layers.every((L) => L < lm.config.nLayers)).toBe(true);
    const model = buildDecoderModel(lm, { input: 'embeds', logits: 'all', steerLayers: [], captureLayers: layers });
    const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
    const pixels = preprocessAnyres(await readImageFile(join(VISION_DIR, want.file)), vision.processor);
    const features = Float32Array.from(referenceImageFeatures(vision, pixels.pixelValues, pixels.tiles));
    const packed = packImageFeatures(features, pixels, vision.config, vision.imageNewline);
    const { dModel: D, nLayers, nKvHeads, headDim, vocabSize: V } = lm.config;
    const embeds = mergeImageEmbeds(want.expanded_ids, vision.config.imageTokenId, lm.tensors.embed, packed, D);
    const S = want.expanded_ids.length;
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: new ort.Tensor('float32', embeds, [1, S, D]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(want.expanded_ids.keys(), BigInt), [1, S]),
    };
    for (let l = 0; l < nLayers; l++) {
      feeds[`past_key_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, nKvHeads, 0, headDim]);
      feeds[`past_value_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, nKvHeads, 0, headDim]);
    }
    const out = await session.run(feeds);
    for (const L of layers) {
      const hidden = out[`hidden_${L}`].data as Float32Array;
      expect(worstRowError(hidden, expectedTensor(name, `hidden_${L}`).data, S, D)).toBeLessThan(1e-4);
    }
    const logits = expectedTensor(name, 'logits');
    expect(logits.shape).toEqual([S, V]);
    expect(worstRowError(out.logits.data as Float32Array, logits.data, S, V)).toBeLessThan(1e-4);
  });
});
