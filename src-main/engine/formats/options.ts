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
}

/** Layer number from a hook name such as "blocks.20.hook_resid_post" or "model.layers.20". */
export function layerFromHook(hook: string | undefined): number | undefined {
  const m = hook ? /(?:blocks|layers|h)\.(\d+)(?:\.|$)/.exec(hook) : null;
  return m ? Number(m[1]) : undefined;
}
