// Little-endian float decoding shared by the safetensors, torch and npy readers.

export type FloatDtype = 'F32' | 'F16' | 'BF16';
export const DTYPE_BYTES: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const F32_BITS = new Uint32Array(1);
const F32_VIEW = new Float32Array(F32_BITS.buffer);

/** IEEE half-precision bits of x, rounded to nearest even (what numpy's astype(float16) does). */
export function floatToHalf(x: number): number {
  F32_VIEW[0] = x;
  const bits = F32_BITS[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit 1 in and round the dropped bits to even.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midway = 1 << (shift - 1);
    return sign | (rest > midway || (rest === midway && half & 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa rolls into the exponent, which is the right answer (up to Inf).
  return sign | (rest > 0x1000 || (rest === 0x1000 && half & 1) ? half + 1 : half);
}

/** Float32 values to little-endian float16 bytes. */
export function encodeFloat16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i]);
  return new Uint8Array(out.buffer);
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Decode `bytes` (little-endian) of the given dtype into a Float32Array. F32 on a little-endian host
 * is one memcpy (a DataView loop over a 512 MiB W_enc took ~1 s of every SAE load).
 */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  if (dtype === 'F32' && LITTLE_ENDIAN) {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (dtype === 'F32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    // bfloat16 is the top half of a float32.
    const u32 = new Uint32Array(n);
    for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
    out.set(new Float32Array(u32.buffer));
  }
  return out;
}
