// Image files to 8-bit RGB (issue 14). PNG through pngjs (any bit depth, palette, grey or alpha;
// alpha is dropped as PIL's convert('RGB') drops it, which is what transformers' do_convert_rgb does).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PNG } from 'pngjs';
import { badFile } from '../../util/errors.js';
import type { RgbImage } from './resize.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

export function decodeImage(bytes: Uint8Array, file: string): RgbImage {
  const isPng = PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  if (!isPng) throw badFile(file, '(file)', 'a PNG image', 'another format');
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw badFile(file, '(file)', 'a readable PNG image', (error as Error).message);
  }
  const { width, height } = png;
  const data = new Uint8Array(width * height * 3);
  // pngjs always hands back 8-bit RGBA (16-bit reduced, grey and palettes expanded)
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = png.data[i * 4];
    data[i * 3 + 1] = png.data[i * 4 + 1];
    data[i * 3 + 2] = png.data[i * 4 + 2];
  }
  return { width, height, data };
}

/** The file's bytes; an unreadable file is a bad_file naming it. */
export function readImageBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw badFile(basename(path), '(file)', 'a readable image file', code);
  }
}

export function readImageFile(path: string): RgbImage {
  return decodeImage(readImageBytes(path), basename(path));
}
