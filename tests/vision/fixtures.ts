// The committed LLaVA-NeXT vision fixtures (tests/fixtures/make_llava_vision_fixtures.py): expected.json
// and the tensors in expected.safetensors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, readSafetensor, type SafetensorsFile } from '../../src-main/engine/formats/safetensors.js';
import { HF_DIR } from '../lm/hf-fixtures.js';

export const VISION_DIR = join(HF_DIR, 'llava-next-vision');
export const IMAGE_NAMES = ['square', 'wide', 'tall'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export interface ExpectedImage {
  file: string;
  width: number;
  height: number;
  image_sizes: [number, number];
  tiles: number;
  image_positions: number;
  prompt_ids: number[];
  expanded_ids: number[];
  greedy: number[];
  steered_greedy: number[];
}

export interface ExpectedVision {
  prompt: string;
  image_token_id: number;
  steer: { layer: number; k: number; vector: number[]; positions: 'prompt' };
  hidden_layers: number[];
  images: Record<ImageName, ExpectedImage>;
  /** photo.jpg: its tensors are photo.decoded (Pillow's pixels) and photo.pixel_values */
  jpeg: { file: string; image_sizes: [number, number] };
}

let json: ExpectedVision | undefined;
export function expectedVision(): ExpectedVision {
  json ??= JSON.parse(readFileSync(join(VISION_DIR, 'expected.json'), 'utf8')) as ExpectedVision;
  return json;
}

let tensors: SafetensorsFile | undefined;
/** `<image>.<what>` from expected.safetensors, with its shape. */
export function expectedTensor(image: ImageName | 'photo', what: string): { data: Float32Array; shape: number[] } {
  tensors ??= openSafetensors(join(VISION_DIR, 'expected.safetensors'));
  const name = `${image}.${what}`;
  return { data: readSafetensor(tensors, name), shape: tensors.tensors.get(name)!.shape };
}

/** Largest |a - b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
