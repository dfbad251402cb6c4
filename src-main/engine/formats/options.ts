import type { SaeFormat } from '../sae-model.js';

export interface LoadSaeOptions {
  /** override detection */
  format?: SaeFormat;
  /**
   * Multiply inputs by this before encoding. Required for SAELens `expected_average_only_in` when no
   * activation_scaler.json lies next to the weights; for the paper's torch checkpoints use 8 (sae(x*8)/8).
   */
  inputScale?: number;
  /** skip sha256 of the source files (tests on large files); size is still recorded */
  skipHash?: boolean;
  /**
   * For the engine, after import (SAELens): do not read matrices the encoder graph will not take from
   * memory: W_dec unless a TopK SAE rescales by decoder norms, and W_enc when it is F32 on disk (ONNX
   * external data reads it from the file). They come back as empty arrays. Shapes are still checked;
   * values were checked for NaN/Inf at import, and the sha256 check before use guards them since.
   * Saves reading (and holding) 1 GiB for the paper's SAE on every mine.
   */
  encoderOnly?: boolean;
}

/** Layer number from a hook name such as "blocks.20.hook_resid_post" or "model.layers.20". */
export function layerFromHook(hook: string | undefined): number | undefined {
  const m = hook ? /(?:blocks|layers|h)\.(\d+)(?:\.|$)/.exec(hook) : null;
  // Digits too many to be a layer ("blocks.99999999999999999999") name none, rather than a rounded one.
  return m && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : undefined;
}
