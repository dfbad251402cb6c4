// Reading an image named by a sidecar: only a regular file, at most MAX_IMAGE_BYTES, whose header
// (image-header.ts) gives its type and dimensions within MAX_IMAGE_SIDE; the media row records them
// without decoding pixels. Issue 11: an `image` of /dev/zero once grew the import to 6 GB.
import path from 'node:path';
import { readRegularFile } from '../util/regular-file';
import { readImageHeader, type ImageHeader } from './image-header';

export { MAX_IMAGE_SIDE } from './image-header';

/** Largest image file accepted (bytes): a 16384-pixel-wide PNG of a photo is well under this. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export interface ImageFile extends ImageHeader {
  bytes: Buffer;
}

/** `sidecar` and `field` name where the image was named, for errors about the path itself. */
export function readImage(file: string, sidecar: string, field: string): ImageFile {
  const bytes = readRegularFile(file, { file: sidecar, field, maxBytes: MAX_IMAGE_BYTES });
  return { bytes, ...readImageHeader(bytes, path.basename(file)) };
}
