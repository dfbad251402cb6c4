// The Steer page's image thumbnail (steer.imagePreview, issue 14). The page runs in a sandboxed
// renderer (or a browser) that cannot read files, and a general file route would let any caller read
// anything; so the main process reads only a file named like an image whose header says it is one,
// decodes it, and answers with a small PNG it encodes itself (a data URL): never the file's own bytes.
// With a LLaVA-NeXT model it also says how many positions the image takes in the prompt.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ImagePreview } from '../contract/steer';
import { decodeImage, encodePng, readImageBytes } from '../engine/vision/image-file';
import { resizeBicubic } from '../engine/vision/resize';
import { readImageHeader } from '../importers/image-header';
import { checkModelFiles, getModelByName } from '../importers/model-import';
import type { Project } from '../project/project';
import { AppError } from '../util/errors';
import { IMAGE_EXTENSIONS } from './image-documents';
import { checkImageModel, imagePromptFromBytes } from './image-prompt';

/** The thumbnail's longer side, in pixels. */
export const PREVIEW_SIDE = 256;
/** Larger files are refused before they are read: far above any photo a VLM is shown. */
const MAX_IMAGE_FILE_BYTES = 100 * 1024 * 1024;

export async function imagePreview(project: Project, request: { path: string; model?: string }): Promise<ImagePreview> {
  const file = path.resolve(request.path);
  const name = path.basename(file);
  if (!IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase()))
    throw new AppError('invalid_input', `image: ${file}: expected a ${IMAGE_EXTENSIONS.join(', ')} file`);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw new AppError('not_found', `image: ${file}: no such file`);
  if (stat.size > MAX_IMAGE_FILE_BYTES)
    throw new AppError('invalid_input', `image: ${file}: ${stat.size} bytes; expected at most ${MAX_IMAGE_FILE_BYTES}`);
  const model = request.model === undefined ? undefined : getModelByName(project, request.model);
  if (model) checkImageModel(model, 'image');
  const bytes = readImageBytes(file);
  // The header first: a file that is not an image is refused before any decoder sees it.
  const header = readImageHeader(bytes, name);
  const image = await decodeImage(bytes, name);
  const scale = Math.min(1, PREVIEW_SIDE / Math.max(image.width, image.height));
  const thumb = resizeBicubic(
    image,
    Math.max(1, Math.round(image.width * scale)),
    Math.max(1, Math.round(image.height * scale)),
  );
  let positions: number | null = null;
  if (model) {
    await checkModelFiles(project, model);
    positions = (await imagePromptFromBytes(model, bytes, file)).positions;
  }
  return {
    path: file,
    dataUrl: `data:image/png;base64,${Buffer.from(encodePng(thumb)).toString('base64')}`,
    width: image.width,
    height: image.height,
    mime: header.mime,
    bytes: bytes.byteLength,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    positions,
  };
}
