// Image type and dimensions from the header bytes alone (PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X), so
// an image is accepted only when it says what it is and how big it is, within MAX_IMAGE_SIDE, before
// anything keeps it. Specs: PNG (W3C, 11.2.2 IHDR), JPEG (ITU T.81, B.2.2 frame header), WebP
// container (RFC 9649, sections 2.5-2.7).
import { badFile } from '../util/errors';

/** Widest and tallest image accepted (pixels per side): larger than any vision encoder's input by far. */
export const MAX_IMAGE_SIDE = 16384;

export interface ImageHeader {
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function readImageHeader(bytes: Uint8Array, file: string): ImageHeader {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (PNG_SIGNATURE.every((v, i) => b[i] === v)) {
    if (b.length < 24 || b.toString('ascii', 12, 16) !== 'IHDR')
      throw badFile(file, 'IHDR', 'the PNG header chunk right after the signature');
    return sized(file, 'IHDR', 'image/png', b.readUInt32BE(16), b.readUInt32BE(20));
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b, file);
  if (b.length >= 16 && b.toString('ascii', 0, 4) === 'RIFF' && b.toString('ascii', 8, 12) === 'WEBP')
    return webp(b, file);
  throw badFile(file, '(signature)', 'a PNG, JPEG or WebP image');
}

function sized(file: string, field: string, mime: ImageHeader['mime'], width: number, height: number): ImageHeader {
  if (!(width >= 1 && height >= 1 && width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE)) {
    throw badFile(file, field, `width and height 1..${MAX_IMAGE_SIDE}`, `${width} x ${height}`);
  }
  return { mime, width, height };
}

/** Walks the marker segments up to the first frame header (SOFn), which holds the dimensions. */
function jpeg(b: Buffer, file: string): ImageHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) break;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // Markers without a length: TEM, RSTn; SOI again. EOI or SOS before a frame header means there is none.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break;
    const length = b.readUInt16BE(i + 2);
    if (length < 2) break;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (length < 7 || i + 9 > b.length) break;
      return sized(file, 'SOF', 'image/jpeg', b.readUInt16BE(i + 7), b.readUInt16BE(i + 5));
    }
    i += 2 + length;
  }
  throw badFile(file, 'SOF', 'a JPEG frame header (SOF0-SOF15) giving the dimensions');
}

function webp(b: Buffer, file: string): ImageHeader {
  const chunk = b.toString('ascii', 12, 16);
  if (chunk === 'VP8X' && b.length >= 30)
    return sized(file, 'VP8X', 'image/webp', b.readUIntLE(24, 3) + 1, b.readUIntLE(27, 3) + 1);
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = b.readUInt32LE(21);
    return sized(file, 'VP8L', 'image/webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  // Lossy: a 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
  if (chunk === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return sized(file, 'VP8 ', 'image/webp', b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff);
  }
  throw badFile(file, chunk.replace(/[^\x20-\x7e]/g, '?'), 'a WebP VP8, VP8L or VP8X chunk giving the dimensions');
}
