// A tiny raster for the demo's procedurally drawn images. We draw hard-edged shapes without
// anti-aliasing on purpose: every pixel then belongs to exactly one planted concept, so a feature's
// per-patch activation ("fraction of the patch's pixels that show the concept") can be recomputed
// from the PNG alone, which is what the demo's tests do.
import { encodePng } from '../engine/vision/image-file';

export type Rgb = readonly [number, number, number];

/** A pixel-coordinate predicate: does (x, y) lie inside the shape? Pixel centres are at +0.5. */
export type Region = (x: number, y: number) => boolean;

export class Canvas {
  readonly rgb: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rgb = new Uint8Array(width * height * 3);
  }

  set(x: number, y: number, colour: Rgb): void {
    const offset = (y * this.width + x) * 3;
    this.rgb[offset] = colour[0];
    this.rgb[offset + 1] = colour[1];
    this.rgb[offset + 2] = colour[2];
  }

  /** Paints every pixel of `region`; `onPixel` lets the caller record what it planted there. */
  fill(region: Region, colour: Rgb | ((x: number, y: number) => Rgb), onPixel?: (pixelIndex: number) => void): void {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        if (!region(x, y)) continue;
        this.set(x, y, typeof colour === 'function' ? colour(x, y) : colour);
        onPixel?.(y * this.width + x);
      }
    }
  }

  /** Encodes as an 8-bit RGBA PNG. zlib's deflate is deterministic, so equal pixels give equal bytes (and hashes). */
  toPng(): Uint8Array {
    return encodePng({ width: this.width, height: this.height, data: this.rgb });
  }
}

export const circle =
  (cx: number, cy: number, r: number): Region =>
  (x, y) =>
    (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;

export const ellipse =
  (cx: number, cy: number, rx: number, ry: number): Region =>
  (x, y) =>
    ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1;

export const rect =
  (x0: number, y0: number, x1: number, y1: number): Region =>
  (x, y) =>
    x >= x0 && x < x1 && y >= y0 && y < y1;

/** A filled triangle (any winding): the pixel centre is on the same side of all three edges. */
export function triangle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): Region {
  const side = (px: number, py: number, qx: number, qy: number, x: number, y: number) =>
    (qx - px) * (y - py) - (qy - py) * (x - px);
  return (x, y) => {
    const px = x + 0.5;
    const py = y + 0.5;
    const d1 = side(ax, ay, bx, by, px, py);
    const d2 = side(bx, by, cx, cy, px, py);
    const d3 = side(cx, cy, ax, ay, px, py);
    return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
  };
}

export const everywhere: Region = () => true;

/** Linear blend of two colours, t in [0, 1]. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [
    Math.round(a[0] + (b[0] - a[0]) * t),
    Math.round(a[1] + (b[1] - a[1]) * t),
    Math.round(a[2] + (b[2] - a[2]) * t),
  ];
}
