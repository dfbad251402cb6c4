// Bicubic resampling as Pillow does it (Resample.c), because transformers' LlavaNextImageProcessor (PIL
// backend) resizes uint8 images with `PIL.Image.resize(..., BICUBIC)`: a separable convolution whose
// kernel widens with the downscale factor (antialiasing), coefficients in 22-bit fixed point, and the
// intermediate image rounded to uint8 between the horizontal and the vertical pass. Doing the same
// integer arithmetic gives the same bytes, so preprocessing differs from transformers' only in float
// rounding after the resize (the tests hold it to that).

/** An 8-bit RGB image, pixels row-major, channels interleaved. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const PRECISION_BITS = 32 - 8 - 2;
const BICUBIC_SUPPORT = 2;

/** Keys' cubic with a = -0.5, Pillow's `bicubic_filter`. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

interface Coefficients {
  /** per output pixel: first input pixel */
  start: Int32Array;
  /** per output pixel: how many input pixels */
  count: Int32Array;
  /** per output pixel, `size` fixed-point weights */
  weights: Int32Array;
  size: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the whole input range. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = BICUBIC_SUPPORT * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * size);
  const row = new Float64Array(size);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamp below makes that the same as floor here.
    const min = Math.max(Math.trunc(center - support + 0.5), 0);
    const max = Math.min(Math.trunc(center + support + 0.5), inSize) - min;
    let total = 0;
    for (let x = 0; x < max; x++) {
      row[x] = bicubic((x + min - center + 0.5) / filterScale);
      total += row[x];
    }
    for (let x = 0; x < max; x++) {
      const w = total !== 0 ? row[x] / total : row[x];
      weights[out * size + x] = Math.trunc(w < 0 ? -0.5 + w * 2 ** PRECISION_BITS : 0.5 + w * 2 ** PRECISION_BITS);
    }
    start[out] = min;
    count[out] = max;
  }
  return { start, count, weights, size };
}

function clip8(sum: number): number {
  const v = Math.floor(sum / 2 ** PRECISION_BITS);
  return Math.max(0, Math.min(v, 255));
}

function resizeHorizontal(image: RgbImage, width: number): RgbImage {
  const c = coefficients(image.width, width);
  const out = new Uint8Array(width * image.height * 3);
  for (let y = 0; y < image.height; y++) {
    const rowIn = y * image.width * 3;
    for (let x = 0; x < width; x++) {
      const base = x * c.size;
      for (let ch = 0; ch < 3; ch++) {
        let sum = 1 << (PRECISION_BITS - 1);
        for (let i = 0; i < c.count[x]; i++) sum += image.data[rowIn + (c.start[x] + i) * 3 + ch] * c.weights[base + i];
        out[(y * width + x) * 3 + ch] = clip8(sum);
      }
    }
  }
  return { width, height: image.height, data: out };
}

function resizeVertical(image: RgbImage, height: number): RgbImage {
  const c = coefficients(image.height, height);
  const stride = image.width * 3;
  const out = new Uint8Array(image.width * height * 3);
  for (let y = 0; y < height; y++) {
    const base = y * c.size;
    for (let i = 0; i < stride; i++) {
      let sum = 1 << (PRECISION_BITS - 1);
      for (let k = 0; k < c.count[y]; k++) sum += image.data[(c.start[y] + k) * stride + i] * c.weights[base + k];
      out[y * stride + i] = clip8(sum);
    }
  }
  return { width: image.width, height, data: out };
}

/** `PIL.Image.resize((width, height), Image.BICUBIC)` on an RGB image: horizontal pass, then vertical. */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  let out = image;
  if (width !== out.width) out = resizeHorizontal(out, width);
  if (height !== out.height) out = resizeVertical(out, height);
  return out === image ? { ...image, data: image.data.slice() } : out;
}
