// The weights a cache entry of a given precision stores, read back as fp32 with the plain-TypeScript
// decoders (fp16 bits, MatMulNBits blocks): what the fp64 reference must run on to match ORT exactly.
import { decodeFloats, encodeFloat16 } from '../../src-main/engine/formats/dtype.js';
import type { LmWeights } from '../../src-main/engine/lm/folder.js';
import { dequantiseBlocks, quantiseBlocks } from '../../src-main/engine/lm/quantise.js';
import type { Precision } from '../../src-main/engine/lm/weight-cache.js';

export function storedAsFp32(w: LmWeights, precision: Precision): LmWeights {
  const round = (x: Float32Array, N: number, K: number): Float32Array => {
    if (precision === 'fp16') return decodeFloats(encodeFloat16(x), 'F16');
    if (precision === 'int8' || precision === 'int4')
      return dequantiseBlocks(quantiseBlocks(x, N, K, precision === 'int8' ? 8 : 4));
    return x;
  };
  const { dModel: D, nHeads, nKvHeads, headDim, ffnDim, vocabSize: V } = w.config;
  const t = w.tensors;
  return {
    config: w.config,
    tensors: {
      embed: precision === 'fp16' ? round(t.embed, V, D) : t.embed,
      finalNorm: t.finalNorm,
      lmHead: round(t.lmHead, V, D),
      layers: t.layers.map((l) => ({
        inputNorm: l.inputNorm,
        postAttentionNorm: l.postAttentionNorm,
        q: round(l.q, nHeads * headDim, D),
        k: round(l.k, nKvHeads * headDim, D),
        v: round(l.v, nKvHeads * headDim, D),
        o: round(l.o, D, nHeads * headDim),
        gate: round(l.gate, ffnDim, D),
        up: round(l.up, ffnDim, D),
        down: round(l.down, D, ffnDim),
      })),
    },
  };
}
