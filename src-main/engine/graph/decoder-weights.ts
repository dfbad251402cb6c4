// The decoder's weights as graph initializers (issue 13): in memory from an LmWeights (nn.Linear
// weights transposed to [in, out] for MatMul), or as ONNX external data from a cache entry
// (lm/weight-cache.ts) in fp32, fp16 (cast to fp32 in the graph) or block-quantised for
// com.microsoft MatMulNBits. Declared once per model so a Loop body can share them.
import type { LmWeights } from '../lm/folder.js';
import { BLOCK_SIZE } from '../lm/quantise.js';
import { ropeInverseFrequencies } from '../lm/rope.js';
import type { CachedLmWeights, Precision, StoredTensor } from '../lm/weight-cache.js';
import { transpose } from '../sae-model.js';
import { FLOAT, FLOAT16, type GraphBuilder, MS_DOMAIN, UINT8 } from './onnx-builder.js';

/** A linear layer's weight: a [in, out] fp32 initializer for MatMul, or MatMulNBits' inputs. */
export type LinearWeight =
  | string
  | { codes: string; scales: string; bits: number; N: number; K: number; accuracyLevel: number };

/** Initializer names of a decoder's weights, declared once so a Loop body can share them. */
export interface DecoderWeightNames {
  embed: string;
  invFreq: string;
  finalNorm: string;
  lmHead: LinearWeight;
  layers: {
    inputNorm: string;
    q: LinearWeight;
    k: LinearWeight;
    v: LinearWeight;
    o: LinearWeight;
    postAttentionNorm: string;
    gate: LinearWeight;
    up: LinearWeight;
    down: LinearWeight;
  }[];
}

export type DecoderWeights = LmWeights | CachedLmWeights;

export function isCached(w: DecoderWeights): w is CachedLmWeights {
  return 'manifest' in w;
}

export function precisionOf(w: DecoderWeights): Precision {
  return isCached(w) ? w.manifest.precision : 'fp32';
}

/**
 * MatMulNBits' accuracy_level: 0 computes in fp32 on the dequantised blocks (what the tests hold to
 * the plain-TypeScript reference); 4 quantises the activations to int8 per block and uses integer dot
 * products, faster on CPUs with VNNI at a further loss.
 */
export interface NBitsOptions {
  accuracyLevel?: 0 | 4;
}

/** `embed: false` leaves out the embedding table (an inputs_embeds graph never reads it). */
export function declareDecoderWeights(
  g: GraphBuilder,
  w: DecoderWeights,
  options: { embed?: boolean } & NBitsOptions = {},
): DecoderWeightNames {
  const c = w.config;
  const invFreq = ropeInverseFrequencies(c);
  const rope = g.floats('rope_inv_freq', Float32Array.from(invFreq), [invFreq.length]);
  if (isCached(w)) return declareCached(g, w, rope, options.embed !== false, options.accuracyLevel ?? 0);
  const { dModel: D, nHeads, nKvHeads, headDim, ffnDim, vocabSize: V } = c;
  const t = w.tensors;
  const linear = (name: string, weight: Float32Array, outDim: number, inDim: number) =>
    g.floats(name, transpose(weight, outDim, inDim), [inDim, outDim]);
  return {
    embed: options.embed === false ? '' : g.floats('embed_tokens', t.embed, [V, D]),
    invFreq: rope,
    finalNorm: g.floats('final_norm', t.finalNorm, [D]),
    lmHead: linear('lm_head', t.lmHead, V, D),
    layers: t.layers.map((layer, L) => ({
      inputNorm: g.floats(`l${L}_input_norm`, layer.inputNorm, [D]),
      q: linear(`l${L}_q`, layer.q, nHeads * headDim, D),
      k: linear(`l${L}_k`, layer.k, nKvHeads * headDim, D),
      v: linear(`l${L}_v`, layer.v, nKvHeads * headDim, D),
      o: linear(`l${L}_o`, layer.o, D, nHeads * headDim),
      postAttentionNorm: g.floats(`l${L}_post_attention_norm`, layer.postAttentionNorm, [D]),
      gate: linear(`l${L}_gate`, layer.gate, ffnDim, D),
      up: linear(`l${L}_up`, layer.up, ffnDim, D),
      down: linear(`l${L}_down`, layer.down, D, ffnDim),
    })),
  };
}

function declareCached(
  g: GraphBuilder,
  w: CachedLmWeights,
  invFreq: string,
  withEmbed: boolean,
  accuracyLevel: number,
): DecoderWeightNames {
  const { tensors, dataFile } = w.manifest;
  const slice = (s: { offset: number; length: number }) => ({ location: dataFile, ...s });
  const stored = (name: string): StoredTensor => {
    const t = tensors[name];
    if (!t) throw new Error(`weight cache ${dataFile}: no tensor ${name}`);
    return t;
  };
  const float = (name: string): string => {
    const t = stored(name);
    if (t.kind === 'float') return g.external(name, FLOAT, t.dims, slice(t));
    if (t.kind === 'half') return g.op('Cast', [g.external(name, FLOAT16, t.dims, slice(t))], { to: FLOAT });
    throw new Error(`weight cache ${dataFile}: ${name} is quantised but is read as a plain tensor`);
  };
  const linear = (name: string): LinearWeight => {
    const t = stored(name);
    if (t.kind !== 'nbits') return float(name);
    const blocks = Math.ceil(t.K / BLOCK_SIZE);
    return {
      codes: g.external(name, UINT8, [t.N, blocks, (BLOCK_SIZE * t.bits) / 8], slice(t)),
      scales: g.external(`${name}_scales`, FLOAT, [t.N * blocks], slice(t.scales)),
      bits: t.bits,
      N: t.N,
      K: t.K,
      accuracyLevel,
    };
  };
  return {
    embed: withEmbed ? float('embed_tokens') : '',
    invFreq,
    finalNorm: float('final_norm'),
    lmHead: linear('lm_head'),
    layers: Array.from({ length: w.config.nLayers }, (_, L) => ({
      inputNorm: float(`l${L}_input_norm`),
      q: linear(`l${L}_q`),
      k: linear(`l${L}_k`),
      v: linear(`l${L}_v`),
      o: linear(`l${L}_o`),
      postAttentionNorm: float(`l${L}_post_attention_norm`),
      gate: linear(`l${L}_gate`),
      up: linear(`l${L}_up`),
      down: linear(`l${L}_down`),
    })),
  };
}

/** x [..., in] times a linear weight: MatMul, or MatMulNBits on the quantised blocks. */
export function emitLinear(g: GraphBuilder, x: string, w: LinearWeight, name?: string): string {
  if (typeof w === 'string') return g.node('MatMul', [x, w], name ? [name] : 1)[0];
  return g.node(
    'MatMulNBits',
    [x, w.codes, w.scales],
    name ? [name] : 1,
    { K: w.K, N: w.N, bits: w.bits, block_size: BLOCK_SIZE, accuracy_level: w.accuracyLevel },
    MS_DOMAIN,
  )[0];
}
