// Small pictograms of the steering demo's ImageNet classes: the source images that the steered
// rollouts are about. Crude on purpose; they only need to make a class recognisable to a rater.
import { Canvas, circle, ellipse, everywhere, mix, rect, triangle, type Region, type Rgb } from './canvas';
import { IMAGE_SIZE } from './images';

export const PICTOGRAM_CLASSES = [
  'goldfish',
  'tabby cat',
  'school bus',
  'strawberry',
  'volcano',
  'golden retriever',
] as const;
export type PictogramClass = (typeof PICTOGRAM_CLASSES)[number];

const union =
  (...regions: Region[]): Region =>
  (x, y) =>
    regions.some((region) => region(x, y));
const both =
  (a: Region, b: Region): Region =>
  (x, y) =>
    a(x, y) && b(x, y);
const verticalGradient = (top: Rgb, bottom: Rgb) => (_x: number, y: number) => mix(top, bottom, y / (IMAGE_SIZE - 1));

const BLACK: Rgb = [30, 30, 30];

const DRAW: Record<PictogramClass, (canvas: Canvas) => void> = {
  goldfish(canvas) {
    canvas.fill(everywhere, verticalGradient([170, 210, 240], [60, 120, 200]));
    canvas.fill(
      union(ellipse(50, 48, 22, 14), triangle(30, 48, 12, 32, 12, 64), triangle(46, 36, 58, 24, 60, 38)),
      [245, 140, 30],
    );
    canvas.fill(circle(62, 44, 2.5), BLACK);
  },
  'tabby cat'(canvas) {
    canvas.fill(everywhere, [235, 225, 200]);
    const head = circle(48, 56, 24);
    canvas.fill(union(head, triangle(26, 44, 32, 16, 46, 36), triangle(70, 44, 64, 16, 50, 36)), [150, 140, 130]);
    canvas.fill(
      both(head, (x, y) => y < 48 && Math.floor(y / 4) % 2 === 0 && Math.abs(x - 48) < 14),
      [95, 85, 75],
    );
    canvas.fill(union(circle(39, 54, 3.5), circle(57, 54, 3.5)), [90, 170, 70]);
    canvas.fill(triangle(44, 62, 52, 62, 48, 67), [220, 140, 150]);
  },
  'school bus'(canvas) {
    canvas.fill(everywhere, verticalGradient([190, 220, 245], [240, 245, 250]));
    canvas.fill(rect(0, 74, 96, 96), [90, 90, 95]);
    canvas.fill(rect(8, 32, 88, 72), [240, 200, 30]);
    for (let x = 14; x < 80; x += 14) canvas.fill(rect(x, 38, x + 10, 52), [50, 60, 80]);
    canvas.fill(rect(8, 58, 88, 61), BLACK);
    canvas.fill(union(circle(26, 72, 7), circle(70, 72, 7)), BLACK);
  },
  strawberry(canvas) {
    canvas.fill(everywhere, [245, 240, 225]);
    const body = union(triangle(22, 38, 74, 38, 48, 84), ellipse(48, 40, 26, 14));
    canvas.fill(body, [210, 30, 40]);
    canvas.fill(
      both(body, (x, y) => (((x + (Math.floor(y / 8) % 2) * 4) % 8) - 4) ** 2 + ((y % 8) - 4) ** 2 <= 1.5),
      [245, 225, 120],
    );
    canvas.fill(
      union(triangle(28, 30, 48, 16, 50, 34), triangle(68, 30, 48, 16, 46, 34), rect(46, 8, 50, 20)),
      [40, 150, 60],
    );
  },
  volcano(canvas) {
    canvas.fill(everywhere, verticalGradient([250, 190, 120], [120, 120, 140]));
    const mountain = triangle(4, 90, 92, 90, 48, 28);
    canvas.fill(mountain, [110, 80, 60]);
    canvas.fill(
      both(mountain, (x, y) => y < 42 || (Math.abs(x - 48 - (y - 42) * 0.3) < 2 && y < 70)),
      [240, 90, 30],
    );
    canvas.fill(union(circle(42, 20, 8), circle(54, 12, 7), circle(64, 8, 5)), [150, 150, 150]);
  },
  'golden retriever'(canvas) {
    canvas.fill(everywhere, (_x, y) => (y < 64 ? [180, 215, 240] : [90, 160, 70]));
    canvas.fill(circle(48, 46, 22), [220, 170, 90]);
    canvas.fill(union(ellipse(27, 52, 8, 17), ellipse(69, 52, 8, 17)), [170, 110, 50]);
    canvas.fill(ellipse(48, 58, 11, 8), [240, 210, 150]);
    canvas.fill(union(circle(48, 53, 4), circle(40, 40, 2.5), circle(56, 40, 2.5)), BLACK);
  },
};

export function drawPictogram(name: PictogramClass): Uint8Array {
  return drawPictogramVariant(name, 0);
}

/**
 * Variants of one pictogram, so a class has several images (a probe needs a class mean and a held-out
 * split): mirrored and shifted by a few pixels, the edge pixels repeated into the gap. Variant 0 is the
 * pictogram itself.
 */
const VARIANTS: { mirror: boolean; dx: number; dy: number }[] = [
  { mirror: false, dx: 0, dy: 0 },
  { mirror: true, dx: 0, dy: 0 },
  { mirror: false, dx: 6, dy: -4 },
  { mirror: true, dx: -6, dy: 4 },
  { mirror: false, dx: -5, dy: 5 },
  { mirror: true, dx: 5, dy: -5 },
];
export const PICTOGRAM_VARIANTS = VARIANTS.length;

export function drawPictogramVariant(name: PictogramClass, variant: number): Uint8Array {
  const { mirror, dx, dy } = VARIANTS[variant];
  const drawn = new Canvas(IMAGE_SIZE, IMAGE_SIZE);
  DRAW[name](drawn);
  const out = new Canvas(IMAGE_SIZE, IMAGE_SIZE);
  const clamp = (v: number) => Math.min(IMAGE_SIZE - 1, Math.max(0, v));
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const sx = clamp((mirror ? IMAGE_SIZE - 1 - x : x) - dx);
      const at = (clamp(y - dy) * IMAGE_SIZE + sx) * 3;
      out.set(x, y, [drawn.rgb[at], drawn.rgb[at + 1], drawn.rgb[at + 2]]);
    }
  }
  return out.toPng();
}
