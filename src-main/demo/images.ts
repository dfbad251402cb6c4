// The demo corpus's images: coloured shapes on textured backgrounds, drawn from a seed. Each image
// keeps, next to its pixels, a per-pixel record of what was planted there (colour, shape, object,
// background texture), which is the ground truth the demo's toy SAE features read.
import { hashSeed, mulberry32, randomIndex, shuffleInPlace, type Rng } from '../util/random';
import { Canvas, circle, everywhere, mix, rect, triangle, type Region, type Rgb } from './canvas';

export const IMAGE_SIZE = 96;
export const PATCH_GRID = 12; // 12×12 patches of 8×8 pixels, as a ViT with patch size 8 would see it
export const IMAGE_COUNT = 36;

export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'] as const;
export const SHAPES = ['circle', 'square', 'triangle'] as const;
export const TEXTURES = ['stripes', 'dots', 'checker', 'noise', 'gradient'] as const;
export type Colour = (typeof COLOURS)[number];
export type Shape = (typeof SHAPES)[number];
export type Texture = (typeof TEXTURES)[number];

/** Saturated fills; the backgrounds below are all near-grey, so no background pixel reads as a colour. */
export const COLOUR_RGB: Record<Colour, Rgb> = {
  red: [220, 40, 40],
  green: [40, 170, 70],
  blue: [40, 90, 220],
  yellow: [240, 210, 40],
  purple: [140, 60, 190],
  orange: [245, 140, 30],
};

const TEXTURE_WORD: Record<Texture, string> = {
  stripes: 'striped',
  dots: 'dotted',
  checker: 'checkered',
  noise: 'noisy',
  gradient: 'gradient',
};

const NEUTRAL_PAIRS: [Rgb, Rgb][] = [
  [
    [225, 225, 225],
    [120, 120, 125],
  ],
  [
    [235, 228, 205],
    [150, 140, 120],
  ],
  [
    [60, 62, 68],
    [150, 152, 160],
  ],
  [
    [200, 205, 212],
    [95, 100, 110],
  ],
  [
    [245, 242, 232],
    [175, 170, 160],
  ],
];

export interface PlantedObject {
  colour: Colour;
  shape: Shape;
}

export interface ImageConcepts {
  colour: Colour;
  shape: Shape;
  texture: Texture;
  secondary: PlantedObject | null;
}

/** Per-pixel ground truth, row-major, IMAGE_SIZE² entries each. */
export interface PixelLabels {
  /** 0 = background, else 1 + index into COLOURS. */
  colour: Uint8Array;
  /** 0 = background, else 1 + index into SHAPES. */
  shape: Uint8Array;
  /** 0 = background, 1 = the main object, 2 = the small secondary object. */
  object: Uint8Array;
}

export interface DemoImage {
  name: string;
  caption: string;
  concepts: ImageConcepts;
  width: number;
  height: number;
  rgb: Uint8Array;
  labels: PixelLabels;
  png: Uint8Array;
}

/** The region of a shape of half-size `s` centred on (cx, cy). */
export function shapeRegion(shape: Shape, cx: number, cy: number, s: number): Region {
  if (shape === 'circle') return circle(cx, cy, s);
  if (shape === 'square')
    return rect(Math.round(cx - s * 0.9), Math.round(cy - s * 0.9), Math.round(cx + s * 0.9), Math.round(cy + s * 0.9));
  return triangle(cx, cy - s, cx - s, cy + s * 0.85, cx + s, cy + s * 0.85);
}

function backgroundColour(texture: Texture, [light, dark]: [Rgb, Rgb], rng: Rng): (x: number, y: number) => Rgb {
  switch (texture) {
    case 'stripes': {
      const width = 5 + randomIndex(3, rng);
      const orientation = randomIndex(3, rng); // horizontal, vertical, diagonal
      return (x, y) =>
        Math.floor((orientation === 0 ? y : orientation === 1 ? x : x + y) / width) % 2 === 0 ? light : dark;
    }
    case 'dots': {
      const spacing = 8;
      return (x, y) => (((x % spacing) - 3.5) ** 2 + ((y % spacing) - 3.5) ** 2 <= 4 ? dark : light);
    }
    case 'checker': {
      const size = rng() < 0.5 ? 8 : 12;
      return (x, y) => ((Math.floor(x / size) + Math.floor(y / size)) % 2 === 0 ? light : dark);
    }
    case 'noise': {
      // Grey noise: equal channels, so it never reads as a colour. Drawn row-major, so it is seeded too.
      return () => {
        const v = 90 + randomIndex(120, rng);
        return [v, v, v];
      };
    }
    case 'gradient': {
      const vertical = rng() < 0.5;
      return (x, y) => mix(light, dark, (vertical ? y : x) / (IMAGE_SIZE - 1));
    }
  }
}

function placeObject(s: number, rng: Rng): [number, number] {
  const span = IMAGE_SIZE - 2 * (s + 3);
  return [s + 3 + randomIndex(span, rng), s + 3 + randomIndex(span, rng)];
}

function drawImage(index: number, concepts: ImageConcepts, rng: Rng): DemoImage {
  const canvas = new Canvas(IMAGE_SIZE, IMAGE_SIZE);
  const pixels = IMAGE_SIZE * IMAGE_SIZE;
  const labels: PixelLabels = {
    colour: new Uint8Array(pixels),
    shape: new Uint8Array(pixels),
    object: new Uint8Array(pixels),
  };
  canvas.fill(
    everywhere,
    backgroundColour(concepts.texture, NEUTRAL_PAIRS[randomIndex(NEUTRAL_PAIRS.length, rng)], rng),
  );

  const plant = (object: PlantedObject, region: Region, objectId: number) =>
    canvas.fill(region, COLOUR_RGB[object.colour], (i) => {
      labels.colour[i] = COLOURS.indexOf(object.colour) + 1;
      labels.shape[i] = SHAPES.indexOf(object.shape) + 1;
      labels.object[i] = objectId;
    });

  const mainSize = 13 + randomIndex(7, rng);
  const [mx, my] = placeObject(mainSize, rng);
  plant(concepts, shapeRegion(concepts.shape, mx, my, mainSize), 1);

  let secondary = concepts.secondary;
  if (secondary) {
    const smallSize = 6 + randomIndex(4, rng);
    let placed = false;
    for (let attempt = 0; attempt < 60 && !placed; attempt++) {
      const [sx, sy] = placeObject(smallSize, rng);
      if (Math.hypot(sx - mx, sy - my) > mainSize * 1.3 + smallSize * 1.3 + 3) {
        plant(secondary, shapeRegion(secondary.shape, sx, sy, smallSize), 2);
        placed = true;
      }
    }
    if (!placed) secondary = null; // the caption must only name what was drawn
  }
  const finalConcepts = { ...concepts, secondary };
  const caption = captionFor(finalConcepts);
  const name = `demo-${String(index).padStart(2, '0')}-${concepts.colour}-${concepts.shape}-${concepts.texture}.png`;
  return {
    name,
    caption,
    concepts: finalConcepts,
    width: IMAGE_SIZE,
    height: IMAGE_SIZE,
    rgb: canvas.rgb,
    labels,
    png: canvas.toPng(),
  };
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

export function captionFor(concepts: ImageConcepts): string {
  const main = `${article(concepts.colour)} ${concepts.colour} ${concepts.shape}`;
  const small = concepts.secondary ? ` and a small ${concepts.secondary.colour} ${concepts.secondary.shape}` : '';
  const word = TEXTURE_WORD[concepts.texture];
  return `${main}${small} on ${article(word)} ${word} background`;
}

/**
 * IMAGE_COUNT images. Colour and shape cycle so every (colour, shape) pair appears twice; textures
 * and secondary objects are dealt from the seed. Same output on every run and machine.
 */
export function drawDemoImages(): DemoImage[] {
  const rng = mulberry32(hashSeed('sightline-demo', 'images'));
  const textures = shuffleInPlace(
    Array.from({ length: IMAGE_COUNT }, (_, i) => TEXTURES[i % TEXTURES.length]),
    rng,
  );
  return Array.from({ length: IMAGE_COUNT }, (_, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const shape = SHAPES[Math.floor(index / COLOURS.length) % SHAPES.length];
    let secondary: PlantedObject | null = null;
    if (rng() < 0.5) {
      const others = COLOURS.filter((c) => c !== colour);
      secondary = { colour: others[randomIndex(others.length, rng)], shape: SHAPES[randomIndex(SHAPES.length, rng)] };
    }
    return drawImage(index, { colour, shape, texture: textures[index], secondary }, rng);
  });
}
