// Rotary position embedding frequencies, as transformers' ROPE_INIT_FUNCTIONS compute them
// (modeling_rope_utils.py): default, linear (positions / factor) and llama3 (Llama 3.1's smooth
// per-frequency interpolation). The reference pass and the graph builder both take these, so the two
// cannot disagree about rotary.
import type { LmConfig } from './config.js';

/** inv_freq [headDim / 2]: rotary pair i turns by position * invFreq[i] radians. */
export function ropeInverseFrequencies(config: Pick<LmConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float64Array {
  const half = config.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
  const s = config.ropeScaling;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  if (s.type === 'llama3') {
    const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
    const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highFreqWavelen) return f; // high frequencies: unchanged
      if (wavelen > lowFreqWavelen) return f / s.factor; // low frequencies: interpolated like linear
      const smooth =
        (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      return (1 - smooth) * (f / s.factor) + smooth * f;
    });
  }
  return inv;
}
