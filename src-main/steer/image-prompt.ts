// A generation's image (`sightline generate --image PATH`, issue 14): read and preprocessed on the
// caller's side (cheap next to the model), the prompt given its <image> placeholder when it has none,
// and that placeholder expanded to the image's exact number of positions, so that the prompt the
// steering mask "prompt" covers, and the promptIds reported, are the ones the model sees.
import crypto from 'node:crypto';
import { basename } from 'node:path';
import type { LmTokenizer } from '../engine/lm/tokenizer';
import { decodeImage, readImageBytes } from '../engine/vision/image-file';
import { expandImageTokens, packedLayout } from '../engine/vision/pack';
import { type AnyresPixels, preprocessAnyres } from '../engine/vision/preprocess';
import { readVisionConfig } from '../engine/vision/weights';
import type { ModelRecord } from '../importers/model-import';
import { AppError, badFile } from '../util/errors';

export const IMAGE_PLACEHOLDER = '<image>';
/** The paper's question about an image: the default prompt of `sweep --images` and `capture --images`. */
export const IMAGE_QUESTION = 'What is shown in this image?';

export interface ImagePrompt {
  pixels: AnyresPixels;
  /** how many positions the <image> token became */
  positions: number;
  file: string;
  sha256: string;
}

/** The prompt text with the placeholder in front (LLaVA's order: image, then text) when it has none. */
export function withImagePlaceholder(prompt: string): string {
  return prompt.includes(IMAGE_PLACEHOLDER) ? prompt : `${IMAGE_PLACEHOLDER}\n${prompt}`;
}

/** Refuses a text-only model for `option` (--image, --images) before any image is read. */
export function checkImageModel(model: ModelRecord, option: string): void {
  if (model.architecture !== 'LlavaNextForConditionalGeneration') {
    throw new AppError(
      'invalid_input',
      `${option}: model "${model.name}" is ${model.architecture}, a text-only model; images need a LLaVA-NeXT model`,
    );
  }
}

export async function readImagePrompt(model: ModelRecord, path: string): Promise<ImagePrompt> {
  checkImageModel(model, '--image');
  return imagePromptFromBytes(model, readImageBytes(path), path);
}

/** An image already read (a sweep hashes every image's bytes first, then preprocesses each in its turn). */
export async function imagePromptFromBytes(model: ModelRecord, bytes: Uint8Array, path: string): Promise<ImagePrompt> {
  const { config, processor } = readVisionConfig(model.path);
  const pixels = preprocessAnyres(await decodeImage(bytes, basename(path)), processor);
  return {
    pixels,
    positions: packedLayout(pixels, config).count,
    file: path,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  };
}

/** The prompt's ids with its one <image> token expanded; refused unless it has exactly one. */
export function expandImagePrompt(
  tokenizer: LmTokenizer,
  ids: number[],
  model: ModelRecord,
  image: ImagePrompt,
): number[] {
  const imageTokenId = readVisionConfig(model.path).config.imageTokenId;
  if (!ids.includes(imageTokenId)) {
    // the prompt has the placeholder text (withImagePlaceholder), so the tokenizer does not know it
    const shown = JSON.stringify(tokenizer.decode(ids, { skipSpecialTokens: false }));
    throw badFile(
      'tokenizer.json',
      'added_tokens',
      `${IMAGE_PLACEHOLDER} as token ${imageTokenId} (config.json image_token_index)`,
      `no such token in the prompt ${shown}`,
    );
  }
  return expandImageTokens(ids, imageTokenId, [image.positions]);
}
