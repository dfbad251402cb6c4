// Reading an image named by a sidecar: only a regular file, at most MAX_IMAGE_BYTES, whose header
// (image-header.ts) gives its type and dimensions within MAX_IMAGE_SIDE; the media row records them
// without decoding pixels. Issue 11: an `image` of /dev/zero once grew the import to 6 GB.
import path from 'node:path';
import { AppError } from '../util/errors';
import { readRegularFile } from '../util/regular-file';
import { readImageHeader, type ImageHeader } from './image-header';

export { MAX_IMAGE_SIDE } from './image-header';

/** Largest image file accepted (bytes): a 16384-pixel-wide PNG of a photo is well under this. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export interface ImageFile extends ImageHeader {
  bytes: Buffer;
}

/**
 * `sidecar` and `field` name where the image was named; every error starts with them (a header error
 * then names the image and its header field), since the image's own name does not say which document
 * of which file it belongs to: `activations.json: documents[3].image: cat.png: IHDR: expected …`.
 */
export function readImage(file: string, sidecar: string, field: string): ImageFile {
  const bytes = readRegularFile(file, { file: sidecar, field, maxBytes: MAX_IMAGE_BYTES });
  try {
    return { bytes, ...readImageHeader(bytes, path.basename(file)) };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    throw new AppError(error.code, `${sidecar}: ${field}: ${error.message}`, {
      file: sidecar,
      field,
      image: error.details,
    });
  }
}
