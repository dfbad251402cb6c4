// Image files to 8-bit RGB (issue 14). PNG through pngjs (any bit depth, palette, grey or alpha;
// alpha is dropped as PIL's convert('RGB') drops it, which is what transformers' do_convert_rgb does),
// JPEG through jpeg-js (baseline and progressive; grey and CMYK come out as RGB). WebP is not read:
// no decoder that runs in Node without a native build or a network fetch is a dependency yet.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { badFile } from '../../util/errors.js';
import type { RgbImage } from './resize.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

export function decodeImage(bytes: Uint8Array, file: string): RgbImage {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, file);
  if (JPEG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodeJpeg(bytes, file);
  throw badFile(file, '(file)', 'a PNG or JPEG image', 'another format');
}

function decodePng(bytes: Uint8Array, file: string): RgbImage {
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

// jpeg-js is pure JavaScript. Its IDCT and chroma upsampling are not libjpeg-turbo's (which Pillow
// uses), so a JPEG's pixels differ from transformers' by a few levels; image-file.test.ts bounds it.
function decodeJpeg(bytes: Uint8Array, file: string): RgbImage {
  try {
    const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    return { width, height, data };
  } catch (error) {
    throw badFile(file, '(file)', 'a readable JPEG image', (error as Error).message);
  }
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
