// LLaVA-NeXT's vision tower rewritten once for the graph (issue 14) into the project's cache/ folder,
// as the decoder's weights are (lm/weight-cache.ts): linear weights transposed for MatMul, fp32,
// streamed tensor by tensor, read by the tower graph as ONNX external data. CLIP-L/14-336 up to its
// feature layer is ~0.3B parameters, 1.2 GB of fp32: held in JS, in the protobuf and again in ORT it
// would cost three times that. The tower stays fp32 whatever the decoder's precision: it is a small
// share of the time and its features feed every image position.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { readFreshEntry, type EntryManifest, floatBytes, writeEntry } from '../lm/cache-entry.js';
import { transpose } from '../sae-model.js';
import type { VisionConfig } from './config.js';
import { readVisionTensor, towerInitializers, type VisionFolder } from './weights.js';

const FORMAT = 1;

export interface TowerManifest extends EntryManifest {
  format: number;
  sourceSha256: string;
  /** by initializer name (towerInitializers), fp32 as the graph declares it; and image_newline */
  tensors: Record<string, { dims: number[]; offset: number; length: number }>;
}

export interface CachedVisionTower {
  config: VisionConfig;
  manifest: TowerManifest;
  /** the folder holding manifest.dataFile */
  folder: string;
  /** [textD], read back from the entry: packing needs it on the host */
  imageNewline: Float32Array;
}

/** The entry's tensor that packing reads on the host rather than the graph. */
export const IMAGE_NEWLINE = 'image_newline';

const entryName = (sourceSha256: string) => `vision-${sourceSha256.slice(0, 16)}-fp32`;

/** The tower's cache entry for this source, reused when fresh, else written. */
export function cachedVisionTower(
  vision: VisionFolder,
  cacheFolder: string,
  sourceSha256: string,
): { tower: CachedVisionTower; reused: boolean } {
  const name = entryName(sourceSha256);
  const found = readFreshEntry<TowerManifest>(
    cacheFolder,
    name,
    vision.files,
    (m) => m.format === FORMAT && m.sourceSha256 === sourceSha256,
  );
  if (found) return { tower: towerOf(vision.config, found, cacheFolder), reused: true };
  const manifest = writeEntry<TowerManifest>(cacheFolder, name, vision.files, (append) => {
    const tensors: TowerManifest['tensors'] = {};
    for (const t of towerInitializers(vision)) {
      const data = readVisionTensor(t.source);
      tensors[t.name] = {
        dims: t.dims,
        ...append(floatBytes(t.linear ? transpose(data, t.dims[1], t.dims[0]) : data)),
      };
    }
    const newline = readVisionTensor(vision.imageNewline);
    tensors[IMAGE_NEWLINE] = { dims: [newline.length], ...append(floatBytes(newline)) };
    return { format: FORMAT, sourceSha256, tensors };
  });
  return { tower: towerOf(vision.config, manifest, cacheFolder), reused: false };
}

function towerOf(config: VisionConfig, manifest: TowerManifest, folder: string): CachedVisionTower {
  const { offset, length } = manifest.tensors[IMAGE_NEWLINE];
  const imageNewline = new Float32Array(length / 4);
  const fd = openSync(join(folder, manifest.dataFile), 'r');
  try {
    readSync(fd, new Uint8Array(imageNewline.buffer), 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return { config, manifest, folder, imageNewline };
}
