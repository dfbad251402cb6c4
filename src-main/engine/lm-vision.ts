// LLaVA-NeXT's image path in the engine worker (issue 14): the vision tower session, and a decoder
// session that takes inputs_embeds, both built on the first generation with an image (a text-only
// generation never pays for them). Each image row's prompt (its <image> already expanded by the caller)
// becomes token embeddings with the packed image features in the image positions.
import { AppError } from '../util/errors.js';
import { buildDecoderModel } from './graph/lm-decoder.js';
import { buildVisionTowerModel } from './graph/vision-tower.js';
import type { DecoderSession } from './lm/decode.js';
import { type LmFolder, readLmWeights } from './lm/folder.js';
import { createSession, ort, type ProviderName } from './session.js';
import { mergeImageEmbeds, packImageFeatures } from './vision/pack.js';
import type { AnyresPixels } from './vision/preprocess.js';
import { readVisionWeights, type VisionWeights } from './vision/weights.js';

export interface VisionSessions {
  tower: ort.InferenceSession;
  /** the decoder again, fed inputs_embeds, with the embedding table kept for generated tokens */
  decoder: DecoderSession;
  weights: VisionWeights;
}

export async function loadVisionSessions(
  opened: LmFolder,
  provider: ProviderName,
  intraOpNumThreads: number | undefined,
): Promise<VisionSessions> {
  if (opened.config.architecture !== 'LlavaNextForConditionalGeneration') {
    throw new AppError(
      'invalid_input',
      `--image needs a LLaVA-NeXT model; ${opened.folder} is ${opened.config.architecture}, a text-only model`,
    );
  }
  const weights = readVisionWeights(opened.folder);
  const lm = readLmWeights(opened);
  const options = { providers: provider, ...(intraOpNumThreads !== undefined ? { intraOpNumThreads } : {}) };
  const tower = (await createSession(buildVisionTowerModel(weights).bytes, options)).session;
  const model = buildDecoderModel(lm, { input: 'embeds', projection: true, clamp: true });
  const { session } = await createSession(model.bytes, options);
  return { tower, decoder: { session, model, embedTable: lm.tensors.embed }, weights };
}

/** The expanded prompt's embeddings [P, D]: token rows, and the image's packed features at <image>. */
export async function imagePromptEmbeds(
  v: VisionSessions,
  expandedPrompt: readonly number[],
  image: AnyresPixels,
): Promise<Float32Array> {
  return embedsWithImage(v, v.decoder.embedTable!, expandedPrompt, image);
}

/** The vision tower alone: what `sightline capture --images` needs next to its capture session. */
export interface VisionTower {
  tower: ort.InferenceSession;
  weights: VisionWeights;
}

/**
 * The tower session without a second decoder: a capture session already takes inputs_embeds, and its
 * decoder weights stay where the text capture reads them (in the graph, or the project's weight cache).
 */
export async function loadVisionTower(
  opened: LmFolder,
  provider: ProviderName,
  intraOpNumThreads: number | undefined,
): Promise<VisionTower> {
  if (opened.config.architecture !== 'LlavaNextForConditionalGeneration') {
    throw new AppError(
      'invalid_input',
      `--images needs a LLaVA-NeXT model; ${opened.folder} is ${opened.config.architecture}, a text-only model`,
    );
  }
  const weights = readVisionWeights(opened.folder);
  const options = { providers: provider, ...(intraOpNumThreads !== undefined ? { intraOpNumThreads } : {}) };
  return { tower: (await createSession(buildVisionTowerModel(weights).bytes, options)).session, weights };
}

/**
 * An expanded prompt's inputs_embeds [P, D]: its tokens' rows of the embedding table, and with an image
 * the tower's features packed (base tile, unpadded anyres map with newlines) in the <image> positions.
 */
export async function embedsWithImage(
  v: VisionTower,
  embedTable: Float32Array,
  expandedPrompt: readonly number[],
  image: AnyresPixels,
): Promise<Float32Array> {
  const { config, imageNewline } = v.weights;
  const side = config.imageSize;
  const pixels = new ort.Tensor('float32', image.pixelValues, [image.tiles, 3, side, side]);
  const features = (await v.tower.run({ pixel_values: pixels })).image_features.data as Float32Array;
  const packed = packImageFeatures(features, image, config, imageNewline);
  return mergeImageEmbeds(expandedPrompt, config.imageTokenId, embedTable, packed, config.textHiddenSize);
}
