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
import { IMAGE_QUESTION, withImagePlaceholder } from './image-prompt';

/** The question issue 14 asks of every image by default (its "Activation capture" section). */
export const DEFAULT_IMAGE_PROMPT = withImagePlaceholder(IMAGE_QUESTION);

/**
 * The prompt's ids, as every image document of a capture shares them: <image> put in front when the
 * prompt has none, through the chat template with `chat`; refused unless it holds exactly one <image>.
 */
export function imagePromptIds(tokenizer: LmTokenizer, prompt: string, chat: boolean, imageTokenId: number): number[] {
  const ids = promptIdsOf(tokenizer, withImagePlaceholder(prompt), chat);
  const images = ids.filter((id) => id === imageTokenId).length;
  if (images !== 1)
    throw new AppError(
      'invalid_input',
      `--prompt: expected exactly one <image> (token ${imageTokenId}, config.json image_token_index) in the prompt${chat ? ' after the chat template' : ''}, found ${images}`,
    );
  return ids;
}

export interface CapturedImageLayout extends ImageDocumentLayout {
  /** the image's original [width, height] and the anyres grid's [rows, cols], kept in the document's meta */
  imageSize: [number, number];
  grid: [number, number];
}

/**
 * The ids an image document's rows follow before <image> is expanded: the prompt's, then its caption's,
 * tokenised on its own (no special tokens added), so a caption's tokens are the same after any prompt;
 * with --chat they follow the template's generation prompt, as the model's answer would. A caption
 * that spells the image token is refused: its rows would be taken for the image's.
 */
export function imageDocumentIds(
  tokenizer: LmTokenizer,
  promptIds: readonly number[],
  document: ImageDocument,
  imageTokenId: number,
): number[] {
  const captionIds = document.caption ? tokenizer.encode(document.caption, { addSpecialTokens: false }) : [];
  if (captionIds.includes(imageTokenId))
    throw new AppError(
      'invalid_input',
      `--images: document "${document.id}": its caption holds the image token <image> (token ${imageTokenId}); a caption must be text only`,
    );
  return [...promptIds, ...captionIds];
}

/** Errors name the CSV row that named the image, or for a folder's image its document id. */
function readDocumentImage(document: ImageDocument) {
  const { file, field } = document.namedIn ?? { file: '--images', field: `document "${document.id}"` };
  return readImage(document.file, file, field);
}

/** One image document's layout: the image's size from its file header, and its ids (imageDocumentIds). */
export function imageDocumentLayout(
  tokenizer: LmTokenizer,
  vision: { config: VisionConfig; processor: ImageProcessorSettings },
  document: ImageDocument,
  ids: readonly number[],
): CapturedImageLayout {
  const { width, height } = readDocumentImage(document);
  const best = selectBestResolution([height, width], vision.processor.gridPinpoints);
  const grid: [number, number] = [best[0] / vision.processor.tileSize, best[1] / vision.processor.tileSize];
  const packed = packedLayout({ imageSize: [height, width], grid }, vision.config);
  const layout = imagePromptLayout(tokenizer, ids, vision.config.imageTokenId, packed);
  return { ...layout, imageSize: [width, height], grid };
}

/** The preprocessed pixels of a document whose layout was computed from its header; they must agree. */
export async function imageDocumentPixels(
  document: ImageDocument,
  layout: CapturedImageLayout,
  processor: ImageProcessorSettings,
): Promise<AnyresPixels> {
  const { bytes } = readDocumentImage(document);
  const pixels = preprocessAnyres(await decodeImage(bytes, path.basename(document.file)), processor);
  const [height, width] = pixels.imageSize;
  if (width !== layout.imageSize[0] || height !== layout.imageSize[1])
    throw new AppError(
      'invalid_input',
      `${document.file}: the image decodes to ${width}x${height} but its header says ${layout.imageSize[0]}x${layout.imageSize[1]} (or it changed during the capture)`,
    );
  return pixels;
}
