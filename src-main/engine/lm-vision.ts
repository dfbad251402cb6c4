// LLaVA-NeXT's image path in the engine worker (issue 14): the vision tower session, built on the first
// generation with an image (a text-only generation never pays for it). Image rows run on the model's
// one decoder session (built with input 'mixed'): each row's prompt (its <image> already expanded by
// the caller) goes in as token ids, with the packed image features as embeddings at the image
// positions. So an image request reads no decoder weight again: they stay where the text path put
// them (in the graph, or the cache entry at the chosen precision).
import { AppError } from '../util/errors.js';
import { buildVisionTowerModel } from './graph/vision-tower.js';
import type { PromptEmbeds } from './lm/decode.js';
import type { LmFolder } from './lm/folder.js';
import { createSession, ort, type ProviderName } from './session.js';
import { imageEmbedsAt, packImageFeatures } from './vision/pack.js';
import type { AnyresPixels } from './vision/preprocess.js';
import { cachedVisionTower } from './vision/tower-cache.js';
import { openVisionFolder, readVisionWeights, towerBytes } from './vision/weights.js';
import type { VisionConfig } from './vision/config.js';

export interface VisionSessions {
  tower: ort.InferenceSession;
  config: VisionConfig;
  /** [textD], placed after each row of the anyres grid by packing */
  imageNewline: Float32Array;
  /** where the tower's weights came from: held in the graph, or a cache entry (written now or reused) */
  weights: 'in-graph' | 'cache-written' | 'cache-reused';
}

export interface VisionLoadOptions {
  provider: ProviderName;
  intraOpNumThreads?: number;
  /** the project's cache folder and the model's sha256 (as for the decoder's weights) */
  cache?: { folder: string; sourceSha256: string };
  /** fp32 tower weights above this many bytes go to the cache as external data (when there is one) */
  externalAbove: number;
}

export async function loadVisionSessions(opened: LmFolder, options: VisionLoadOptions): Promise<VisionSessions> {
  if (opened.config.architecture !== 'LlavaNextForConditionalGeneration') {
    throw new AppError(
      'invalid_input',
      `--image needs a LLaVA-NeXT model; ${opened.folder} is ${opened.config.architecture}, a text-only model`,
    );
  }
  const vision = openVisionFolder(opened.folder);
  const sessionOptions = {
    providers: options.provider,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  };
  if (options.cache && towerBytes(vision) > options.externalAbove) {
    const { tower, reused } = cachedVisionTower(vision, options.cache.folder, options.cache.sourceSha256);
    const model = buildVisionTowerModel(tower);
    const { session } = await createSession(model.bytes, {
      ...sessionOptions,
      externalDataFolder: model.externalDataFolder!,
    });
    const weights = reused ? 'cache-reused' : 'cache-written';
    return { tower: session, config: vision.config, imageNewline: tower.imageNewline, weights };
  }
  // Small enough for protobuf's 2 GB (or no cache to write to): the weights go into the graph itself.
  const weights = readVisionWeights(opened.folder);
  const { session } = await createSession(buildVisionTowerModel(weights).bytes, sessionOptions);
  return { tower: session, config: vision.config, imageNewline: weights.imageNewline, weights: 'in-graph' };
}

/** The packed image features at the expanded prompt's <image> positions, for a 'mixed' decoder. */
export async function imagePromptEmbeds(
  v: VisionSessions,
  expandedPrompt: readonly number[],
  image: AnyresPixels,
): Promise<PromptEmbeds> {
  const { config, imageNewline } = v;
  const side = config.imageSize;
  const pixels = new ort.Tensor('float32', image.pixelValues, [image.tiles, 3, side, side]);
  const features = (await v.tower.run({ pixel_values: pixels })).image_features.data as Float32Array;
  const packed = packImageFeatures(features, image, config, imageNewline);
  return imageEmbedsAt(expandedPrompt, config.imageTokenId, packed, config.textHiddenSize);
}
