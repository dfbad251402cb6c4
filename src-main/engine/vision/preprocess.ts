// LLaVA-NeXT's "anyres" preprocessing, step for step as transformers' LlavaNextImageProcessor (issue 14):
// pick the grid pinpoint that keeps the most of the image's pixels and wastes the least, resize into it
// keeping the aspect ratio, pad centred with black, cut it into square tiles, and put the whole image
// squashed to one tile in front. Every tile is then rescaled to [0, 1] and normalised with the CLIP
// mean and std. Resizing is Pillow's bicubic (resize.ts), so pixels match transformers' PIL backend.
import { type RgbImage, resizeBicubic } from './resize.js';

export interface ImageProcessorSettings {
  /** the side of one square tile (crop_size, = size.shortest_edge for LLaVA-NeXT) */
  tileSize: number;
  /** [height, width] pairs the image may be resized into, each a multiple of tileSize */
  gridPinpoints: [number, number][];
  mean: [number, number, number];
  std: [number, number, number];
  rescaleFactor: number;
}

export interface AnyresPixels {
  /** [tiles, 3, tileSize, tileSize]: the base image first, then the grid row by row */
  pixelValues: Float32Array;
  tiles: number;
  /** the original image's [height, width] (transformers' image_sizes) */
  imageSize: [number, number];
  /** tile rows and columns of the anyres grid (the base tile not counted) */
  grid: [number, number];
}

/**
 * transformers' select_best_resolution: the [height, width] with the largest effective resolution
 * (pixels of the image kept after fitting it in), ties broken by the least wasted area.
 */
export function selectBestResolution(imageSize: [number, number], pinpoints: [number, number][]): [number, number] {
  const [height, width] = imageSize;
  let best: [number, number] = pinpoints[0];
  let bestEffective = 0;
  let leastWasted = Number.POSITIVE_INFINITY;
  for (const [h, w] of pinpoints) {
    const scale = Math.min(w / width, h / height);
    const effective = Math.min(Math.trunc(width * scale) * Math.trunc(height * scale), width * height);
    const wasted = w * h - effective;
    if (effective > bestEffective || (effective === bestEffective && wasted < leastWasted)) {
      bestEffective = effective;
      leastWasted = wasted;
      best = [h, w];
    }
  }
  return best;
}

/** transformers' get_patch_output_size: the size the image is resized to inside `target`, aspect kept. */
export function fitInside(imageSize: [number, number], target: [number, number]): [number, number] {
  const [height, width] = imageSize;
  const [th, tw] = target;
  const scaleW = tw / width;
  const scaleH = th / height;
  if (scaleW < scaleH) return [Math.min(Math.ceil(height * scaleW), th), tw];
  return [th, Math.min(Math.ceil(width * scaleH), tw)];
}

/** Pads `image` centred into target (black; the odd pixel goes right/bottom, as np.pad is called). */
function padCentred(image: RgbImage, target: [number, number]): RgbImage {
  const [th, tw] = target;
  const top = Math.floor((th - image.height) / 2);
  const left = Math.floor((tw - image.width) / 2);
  const data = new Uint8Array(th * tw * 3);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((top + y) * tw + left) * 3);
  }
  return { width: tw, height: th, data };
}

/** Writes one tile (x0, y0 of `image`, side `size`) as normalised CHW floats at `out[offset]`. */
function writeTile(
  image: RgbImage,
  x0: number,
  y0: number,
  settings: ImageProcessorSettings,
  out: Float32Array,
  offset: number,
): void {
  const size = settings.tileSize;
  for (let ch = 0; ch < 3; ch++) {
    // transformers rescales then normalises in float32; doing the same keeps the last bit close
    const mean = Math.fround(settings.mean[ch]);
    const std = Math.fround(settings.std[ch]);
    const plane = offset + ch * size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const byte = image.data[((y0 + y) * image.width + x0 + x) * 3 + ch];
        const scaled = Math.fround(byte * settings.rescaleFactor);
        out[plane + y * size + x] = Math.fround(Math.fround(scaled - mean) / std);
      }
    }
  }
}

export function preprocessAnyres(image: RgbImage, settings: ImageProcessorSettings): AnyresPixels {
  const size = settings.tileSize;
  const imageSize: [number, number] = [image.height, image.width];
  const best = selectBestResolution(imageSize, settings.gridPinpoints);
  const [fitH, fitW] = fitInside(imageSize, best);
  const padded = padCentred(resizeBicubic(image, fitW, fitH), best);
  const grid: [number, number] = [best[0] / size, best[1] / size];
  const tiles = 1 + grid[0] * grid[1];
  const pixelValues = new Float32Array(tiles * 3 * size * size);
  writeTile(resizeBicubic(image, size, size), 0, 0, settings, pixelValues, 0);
  let tile = 1;
  for (let row = 0; row < grid[0]; row++) {
    for (let col = 0; col < grid[1]; col++) {
      writeTile(padded, col * size, row * size, settings, pixelValues, tile * 3 * size * size);
      tile++;
    }
  }
  return { pixelValues, tiles, imageSize, grid };
}
