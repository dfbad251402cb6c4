// The image documents of `sightline capture --images DIR|CSV` (issue 14) as the model sees them: each
// document's prompt (default DEFAULT_IMAGE_PROMPT; through the chat template with --chat), its CSV
// caption's tokens after it, and its <image> expanded to the image's exact number of positions. The
// layout needs only the image's size (from the file header: the anyres grid and unpadding depend on
// nothing else), so a chunk's row count is known before its pixels are decoded; the pixels are decoded
// and preprocessed batch by batch, when the engine needs them.
import path from 'node:path';
import type { LmTokenizer } from '../engine/lm/tokenizer';
import type { VisionConfig } from '../engine/vision/config';
import { decodeImage } from '../engine/vision/image-file';
import { packedLayout } from '../engine/vision/pack';
import {
  type AnyresPixels,
  type ImageProcessorSettings,
  preprocessAnyres,
  selectBestResolution,
} from '../engine/vision/preprocess';
import { readImage } from '../importers/images';
import { AppError } from '../util/errors';
import { imagePromptLayout, type ImageDocumentLayout } from './capture-layout';
import { promptIdsOf } from './generate';
import type { ImageDocument } from './image-documents';
import { withImagePlaceholder } from './image-prompt';

/** The question the paper asks of every image (issue 14). */
export const DEFAULT_IMAGE_PROMPT = '<image>\nWhat is shown in this image?';

export interface ImagePromptSettings {
  /** the prompt; <image> is put in front when it has none */
  prompt: string;
  /** place the prompt as the user's message of the model's chat template */
  chat: boolean;
}

export interface CapturedImageLayout extends ImageDocumentLayout {
  /** the image's original [width, height] and the anyres grid's [rows, cols], kept in the document's meta */
  imageSize: [number, number];
  grid: [number, number];
}

/** Everything one image document's layout needs: the image's size from its header, then the prompt. */
export function imageDocumentLayout(
  tokenizer: LmTokenizer,
  vision: { config: VisionConfig; processor: ImageProcessorSettings },
  document: ImageDocument,
  settings: ImagePromptSettings,
): CapturedImageLayout {
  const { width, height } = readImage(document.file, '--images', `document "${document.id}"`);
  const best = selectBestResolution([height, width], vision.processor.gridPinpoints);
  const grid: [number, number] = [best[0] / vision.processor.tileSize, best[1] / vision.processor.tileSize];
  const packed = packedLayout({ imageSize: [height, width], grid }, vision.config);
  const promptIds = promptIdsOf(tokenizer, withImagePlaceholder(settings.prompt), settings.chat);
  // The caption is tokenised on its own (no special tokens added), so its tokens are the same after
  // any prompt; with --chat it follows the template's generation prompt, as the model's answer would.
  const captionIds = document.caption ? tokenizer.encode(document.caption, { addSpecialTokens: false }) : [];
  const layout = imagePromptLayout(tokenizer, [...promptIds, ...captionIds], vision.config.imageTokenId, packed);
  return { ...layout, imageSize: [width, height], grid };
}

/** The preprocessed pixels of a document whose layout was computed from its header; they must agree. */
export async function imageDocumentPixels(
  document: ImageDocument,
  layout: CapturedImageLayout,
  processor: ImageProcessorSettings,
): Promise<AnyresPixels> {
  const { bytes } = readImage(document.file, '--images', `document "${document.id}"`);
  const pixels = preprocessAnyres(await decodeImage(bytes, path.basename(document.file)), processor);
  const [height, width] = pixels.imageSize;
  if (width !== layout.imageSize[0] || height !== layout.imageSize[1])
    throw new AppError(
      'invalid_input',
      `${document.file}: the image decodes to ${width}x${height} but its header says ${layout.imageSize[0]}x${layout.imageSize[1]} (or it changed during the capture)`,
    );
  return pixels;
}
