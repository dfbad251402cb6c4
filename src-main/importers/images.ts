// Reading an image named by a sidecar: bytes, mime from the signature, and size from the header
// (PNG IHDR, JPEG SOFn) so the media row records width and height without decoding pixels.
import fs from 'node:fs';
import path from 'node:path';
import { badFile } from '../util/errors';

export interface ImageFile {
  bytes: Buffer;
  mime: string;
  width?: number;
  height?: number;
}

export function readImage(file: string, sidecar: string, field: string): ImageFile {
  if (!fs.existsSync(file)) throw badFile(sidecar, field, 'an existing image file (relative to the sidecar)', file);
  const bytes = fs.readFileSync(file);
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { bytes, mime: 'image/png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return { bytes, mime: 'image/jpeg', ...jpegSize(bytes) };
  if (bytes.length >= 12 && bytes.toString('ascii', 0, 4) === 'RIFF' && bytes.toString('ascii', 8, 12) === 'WEBP') return { bytes, mime: 'image/webp' };
  throw badFile(path.basename(file), '(signature)', 'a PNG, JPEG or WebP image');
}

function jpegSize(b: Buffer): { width?: number; height?: number } {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return {};
    const marker = b[i + 1];
    const length = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + length;
  }
  return {};
}
