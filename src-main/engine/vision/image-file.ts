// Image files to 8-bit RGB (issue 14). PNG through pngjs (any bit depth, palette, grey or alpha;
// alpha is dropped as PIL's convert('RGB') drops it, which is what transformers' do_convert_rgb does),
// JPEG through jpeg-js (baseline and progressive; grey and CMYK come out as RGB), WebP through
// libwebp compiled to WebAssembly (@jsquash/webp; its .wasm read from node_modules, never fetched).
// Async because WebAssembly compiles asynchronously.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { badFile } from '../../util/errors.js';
import type { RgbImage } from './resize.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

export async function decodeImage(bytes: Uint8Array, file: string): Promise<RgbImage> {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, file);
  if (JPEG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodeJpeg(bytes, file);
  if (isWebp(bytes)) return decodeWebp(bytes, file);
  throw badFile(file, '(file)', 'a PNG, JPEG or WebP image', 'another format');
}

/** RIFF....WEBP */
function isWebp(bytes: Uint8Array): boolean {
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  return bytes.length >= 12 && tag(0) === 'RIFF' && tag(8) === 'WEBP';
}

const requireHere = createRequire(import.meta.url ?? __filename);
let webpDecoder: Promise<(buffer: ArrayBuffer) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>>;

async function decodeWebp(bytes: Uint8Array, file: string): Promise<RgbImage> {
  webpDecoder ??= (async () => {
    const codec = await import('@jsquash/webp/decode.js');
    // The wasm handed over compiled: left to itself the codec would fetch() it from a URL.
    const wasm = readFileSync(requireHere.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
    // Node's WebAssembly global, which the project's TypeScript libs (no DOM) declare only as types
    const { compile } = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<never> } })
      .WebAssembly;
    await codec.init(await compile(wasm));
    return codec.default;
  })();
  const decode = await webpDecoder;
  let rgba: { width: number; height: number; data: Uint8ClampedArray };
  try {
    // a copy with its own ArrayBuffer: a Buffer from readFileSync may be a view into a shared pool
    rgba = await decode(new Uint8Array(bytes).buffer);
  } catch (error) {
    throw badFile(file, '(file)', 'a readable WebP image', (error as Error).message);
  }
  return withoutAlpha(rgba);
}

function decodePng(bytes: Uint8Array, file: string): RgbImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw badFile(file, '(file)', 'a readable PNG image', (error as Error).message);
  }
  // pngjs always hands back 8-bit RGBA (16-bit reduced, grey and palettes expanded)
  return withoutAlpha(png);
}

/** RGBA -> RGB, alpha dropped (not composited), as PIL's convert('RGB') does. */
function withoutAlpha(rgba: { width: number; height: number; data: ArrayLike<number> }): RgbImage {
  const { width, height } = rgba;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = rgba.data[i * 4];
    data[i * 3 + 1] = rgba.data[i * 4 + 1];
    data[i * 3 + 2] = rgba.data[i * 4 + 2];
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

/**
 * An RGB image as an 8-bit RGBA PNG (opaque). zlib's deflate is deterministic, so equal pixels give
 * equal bytes (and hashes).
 */
export function encodePng(image: RgbImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  for (let i = 0; i < image.width * image.height; i++) {
    png.data[i * 4] = image.data[i * 3];
    png.data[i * 4 + 1] = image.data[i * 3 + 1];
    png.data[i * 4 + 2] = image.data[i * 3 + 2];
    png.data[i * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}

export async function readImageFile(path: string): Promise<RgbImage> {
  return decodeImage(readImageBytes(path), basename(path));
}
