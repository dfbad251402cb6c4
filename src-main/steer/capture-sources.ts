// The documents of one capture, in corpus order: image documents (`--images DIR|CSV`) first, then
// captions (`--captions FILE`). Caption layouts are cheap and computed at once (an empty caption is
// refused before any work); an image document's layout reads its image's header, so it is computed
// chunk by chunk, and its pixels only when its batch runs.
import crypto from 'node:crypto';
import path from 'node:path';
import type { LmTokenizer } from '../engine/lm/tokenizer';
import type { AnyresPixels } from '../engine/vision/preprocess';
import { readVisionConfig } from '../engine/vision/weights';
import type { ModelRecord } from '../importers/model-import';
import { canonicalJson } from '../store/jobs';
import { AppError, badFile } from '../util/errors';
import { readCaptionsFile } from './capture-documents';
import {
  type CapturedImageLayout,
  DEFAULT_IMAGE_PROMPT,
  imageDocumentIds,
  imageDocumentLayout,
  imageDocumentPixels,
  imagePromptIds,
} from './capture-images';
import { captionLayout } from './capture-layout';
import type { CaptureEntry } from './capture-sidecar';
import { readImageDocuments } from './image-documents';
import { checkImageModel } from './image-prompt';

export interface CaptureSources {
  count: number;
  /** true when any document has an image: the session then takes inputs_embeds */
  hasImages: boolean;
  /** what the capture id hashes: the documents and, with images, the prompt */
  spec: Record<string, unknown>;
  /** default corpus prefix: <model>-<captions or images source name> */
  defaultPrefix: string;
  /** documents [from, to) with their layouts */
  entries(from: number, to: number): CaptureEntry[];
  /** their preprocessed images (null for a caption), for the engine */
  pixels(entries: readonly CaptureEntry[], from: number): Promise<(AnyresPixels | null)[]>;
}

const sha256 = (value: unknown) => crypto.createHash('sha256').update(canonicalJson(value)).digest('hex');
const stem = (file: string) => path.basename(file).replace(/\.[^.]+$/, '');

export function readCaptureSources(
  model: ModelRecord,
  tokenizer: LmTokenizer,
  options: {
    captionsFile?: string | undefined;
    images?: string | undefined;
    prompt?: string | undefined;
    chat?: boolean | undefined;
  },
): CaptureSources {
  if (options.captionsFile === undefined && options.images === undefined)
    throw new AppError('invalid_input', 'capture: give --captions FILE (text documents) and/or --images DIR|CSV');
  if (options.images === undefined && (options.prompt !== undefined || options.chat))
    throw new AppError('invalid_input', '--prompt and --chat are for image documents: add --images DIR|CSV');
  if (options.images !== undefined) checkImageModel(model, '--images');
  const images = options.images !== undefined ? readImageDocuments(options.images) : [];
  const captions = options.captionsFile !== undefined ? readCaptionsFile(options.captionsFile) : [];
  const captionLayouts = captions.map((d) => captionLayout(tokenizer, d.caption));
  captionLayouts.forEach((layout, i) => {
    if (layout.tokens.length === 0)
      throw new AppError('invalid_input', `${path.basename(options.captionsFile!)}: "${captions[i].id}" has no tokens`);
  });
  const imageDocumentNames = new Set(images.map((d) => d.id));
  const clash = captions.find((d) => imageDocumentNames.has(d.id));
  if (clash)
    throw badFile(
      path.basename(options.captionsFile!),
      'document',
      "ids other than the image documents'",
      `"${clash.id}", also an image document of ${path.basename(options.images!)}`,
    );
  const prompt = options.prompt ?? DEFAULT_IMAGE_PROMPT;
  const chat = options.chat ?? false;
  const vision = images.length > 0 ? readVisionConfig(model.path) : undefined;
  // Every image document's ids before its image is read: a bad prompt or caption is refused before any work.
  const promptIds = vision ? imagePromptIds(tokenizer, prompt, chat, vision.config.imageTokenId) : [];
  const tokenIds = images.map((d) => imageDocumentIds(tokenizer, promptIds, d, vision!.config.imageTokenId));
  // Captions alone hash as they always did, so an earlier caption capture resumes under the same id;
  // likewise where a CSV named each image (kept for errors only) is left out of the images' hash.
  const imagesToHash = images.map(({ namedIn: _namedIn, ...document }) => document);
  const spec: Record<string, unknown> = {
    ...(captions.length > 0 ? { documents: sha256(captions) } : {}),
    ...(images.length > 0 ? { images: sha256(imagesToHash), prompt, chat } : {}),
  };
  return {
    count: images.length + captions.length,
    hasImages: images.length > 0,
    spec,
    defaultPrefix: `${model.name}-${stem(options.images ?? options.captionsFile!)}`,
    entries(from, to) {
      const out: CaptureEntry[] = [];
      for (let i = from; i < to; i++) {
        if (i < images.length) {
          const d = images[i];
          const layout = imageDocumentLayout(tokenizer, vision!, d, tokenIds[i]);
          out.push({ id: d.id, ...(d.label !== undefined ? { label: d.label } : {}), layout, image: d.file });
        } else {
          const d = captions[i - images.length];
          out.push({
            id: d.id,
            ...(d.label !== undefined ? { label: d.label } : {}),
            layout: captionLayouts[i - images.length],
          });
        }
      }
      return out;
    },
    async pixels(entries, from) {
      const out: (AnyresPixels | null)[] = [];
      for (const [j, entry] of entries.entries()) {
        const i = from + j;
        out.push(
          i < images.length
            ? await imageDocumentPixels(images[i], entry.layout as CapturedImageLayout, vision!.processor)
            : null,
        );
      }
      return out;
    },
  };
}
