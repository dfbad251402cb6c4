// The one normalised in-memory SAE. Every format reader produces this; the graph builder and the
// plain-TS reference consume it. Matrices are Float32Array, row-major.
import { badFile } from '../util/errors.js';

export type SaeArchitecture = 'relu' | 'topk' | 'jumprelu' | 'gated';
export type SaeNormalisation = 'none' | 'constant_norm_rescale' | 'layer_norm';
export type SaeFormat = 'saelens' | 'sparsify' | 'torch' | 'gemmascope';
export const SAE_FORMATS: readonly SaeFormat[] = ['saelens', 'sparsify', 'torch', 'gemmascope'];

export interface SourceFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Where W_enc lies in its original file, when it is stored as contiguous little-endian F32. The graph
 * builder points an ONNX external-data initializer at it, so a multi-GB encoder is never copied into
 * the model bytes (and never hits protobuf's 2 GB limit).
 * layout 'dIn_dSae' is W_enc as-is; 'dSae_dIn' is stored transposed (torch nn.Linear, sparsify).
 */
export interface ExternalTensorRef {
  path: string;
  offset: number;
  length: number;
  layout: 'dIn_dSae' | 'dSae_dIn';
}

export interface SaeWeights {
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  /** [dIn, dSae] */
  W_enc: Float32Array;
  /** [dSae]; for gated SAEs this is b_gate (the gate's pre-activation bias). */
  b_enc: Float32Array;
  /** [dSae, dIn] */
  W_dec: Float32Array;
  /** [dIn] */
  b_dec: Float32Array;
  /** [dSae], jumprelu only */
  threshold?: Float32Array;
  /** topk only */
  k?: number;
  /** gated only, each [dSae] */
  b_gate?: Float32Array;
  b_mag?: Float32Array;
  r_mag?: Float32Array;
  /** subtract b_dec from the input before encoding (SAELens apply_b_dec_to_input) */
  applyBDecToInput: boolean;
  normalizeActivations: SaeNormalisation;
  /** multiply the input by this before anything else (expected_average_only_in, or sae(x*8)/8) */
  inputScale?: number;
  /** topk: multiply pre-activations by ||W_dec[j]|| before selecting (SAELens) */
  rescaleActsByDecoderNorm?: boolean;
  hookPoint?: string;
  layer?: number;
  source: { format: SaeFormat; files: SourceFile[] };
  external?: { W_enc?: ExternalTensorRef };
}

/** Throws a bad_file error naming the tensor when any value is NaN or infinite. */
export function assertFinite(file: string, tensor: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw badFile(file, tensor, 'finite values', `${data[i]} at flat index ${i}`);
    }
  }
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function assertShape(
  file: string,
  tensor: string,
  shape: readonly number[],
  expected: readonly number[],
  why: string,
): void {
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw badFile(file, tensor, `shape ${shapeText(expected)} (${why})`, `shape ${shapeText(shape)}`);
  }
}

/** Transpose a row-major [rows, cols] matrix. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}
