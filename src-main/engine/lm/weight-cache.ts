// A language model's weights rewritten once for the graph (issue 13) and kept in the project's cache/
// folder: linear weights transposed for MatMul (fp32), rounded to fp16, or block-quantised for
// MatMulNBits (int8, int4), in one file the decoder graph reads as ONNX external data. External data is
// what lets a 7B model load at all (protobuf caps a model at 2 GB), and the rewrite streams tensor by
// tensor, so a 7B model is never whole in JS memory. The entry is keyed by the source model's sha256
// and the precision: a second load reuses it, a different source (or a source file whose size or mtime
// moved) rebuilds it. The manifest is written last, after the data is on disk, so a crash mid-write
// leaves nothing that looks usable.
import { AppError } from '../../util/errors.js';
import { encodeFloat16 } from '../formats/dtype.js';
import { readSafetensor } from '../formats/safetensors.js';
import { transpose } from '../sae-model.js';
import type { LmConfig } from './config.js';
import type { LmFolder, LmLayer, LmTensorRef } from './folder.js';
import { quantiseBlocks, type WeightBits } from './quantise.js';
import { type EntryManifest, floatBytes, readFreshEntry, type Slice, writeEntry } from './cache-entry.js';

import { PRECISIONS, type Precision } from '../../contract/models.js';

export { PRECISIONS, type Precision };

const FORMAT = 1;

/** How one weight is stored in the data file. */
export type StoredTensor =
  /** fp32, as the graph uses it (a linear weight already [in, out]) */
  | ({ kind: 'float'; dims: number[] } & Slice)
  /** fp16 bits, [in, out] for a linear weight; the graph casts it to fp32 */
  | ({ kind: 'half'; dims: number[] } & Slice)
  /** MatMulNBits codes [N, blocks, blob] of an [N = out, K = in] weight, and its scales [N, blocks] */
  | ({ kind: 'nbits'; bits: WeightBits; N: number; K: number; scales: Slice } & Slice);

export interface WeightManifest extends EntryManifest {
  format: number;
  precision: Precision;
  sourceSha256: string;
  /** by initializer name: embed_tokens, final_norm, lm_head, l<L>_input_norm, l<L>_q, ... */
  tensors: Record<string, StoredTensor>;
}

/** A decoder's weights as a cache entry: what the graph builder declares as external initializers. */
export interface CachedLmWeights {
  config: LmConfig;
  manifest: WeightManifest;
  /** the folder holding manifest.dataFile */
  folder: string;
}

const LINEAR: readonly (keyof LmLayer<unknown>)[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/** Bytes of the decoder's weights held as fp32 (what an in-memory graph would need). */
export function fp32Bytes(lm: LmFolder): number {
  const refs = new Set<LmTensorRef>([lm.tensors.embed, lm.tensors.finalNorm, lm.tensors.lmHead]);
  for (const layer of lm.tensors.layers) for (const ref of Object.values(layer)) refs.add(ref);
  let n = [...refs].reduce((sum, ref) => sum + ref.info.shape.reduce((a, b) => a * b, 1), 0);
  if (lm.tensors.lmHead === lm.tensors.embed) n += lm.config.vocabSize * lm.config.dModel; // lm_head is its own initializer
  return n * 4;
}

function entryName(sourceSha256: string, precision: Precision): string {
  return `lm-${sourceSha256.slice(0, 16)}-${precision}`;
}

/** The cache entry for this source and precision, or undefined when there is none or it is stale. */
export function findCachedWeights(
  lm: LmFolder,
  cacheFolder: string,
  sourceSha256: string,
  precision: Precision,
): CachedLmWeights | undefined {
  const manifest = readFreshEntry<WeightManifest>(
    cacheFolder,
    entryName(sourceSha256, precision),
    lm.files.map((f) => f.path),
    (m) => m.format === FORMAT && m.precision === precision && m.sourceSha256 === sourceSha256,
  );
  return manifest ? { config: lm.config, manifest, folder: cacheFolder } : undefined;
}

/** The cached weights, written first when there is no fresh entry. */
export function cachedWeights(
  lm: LmFolder,
  cacheFolder: string,
  sourceSha256: string,
  precision: Precision,
): { weights: CachedLmWeights; reused: boolean } {
  const found = findCachedWeights(lm, cacheFolder, sourceSha256, precision);
  if (found) return { weights: found, reused: true };
  return { weights: writeCachedWeights(lm, cacheFolder, sourceSha256, precision), reused: false };
}

export function writeCachedWeights(
  lm: LmFolder,
  cacheFolder: string,
  sourceSha256: string,
  precision: Precision,
): CachedLmWeights {
  if (!PRECISIONS.includes(precision))
    throw new AppError('invalid_input', `precision: expected one of ${PRECISIONS.join(', ')}, got "${precision}"`);
  const tensors: Record<string, StoredTensor> = {};
  const { dModel: D, vocabSize: V } = lm.config;
  const manifest = writeEntry<WeightManifest>(
    cacheFolder,
    entryName(sourceSha256, precision),
    lm.files.map((f) => f.path),
    (append) => {
      const plain = (key: string, ref: LmTensorRef) => {
        tensors[key] = {
          kind: 'float',
          dims: ref.info.shape,
          ...append(floatBytes(readSafetensor(ref.file, ref.name))),
        };
      };
      const linear = (key: string, ref: LmTensorRef) => {
        const [N, K] = ref.info.shape;
        const weight = readSafetensor(ref.file, ref.name);
        if (precision === 'int8' || precision === 'int4') {
          const q = quantiseBlocks(weight, N, K, precision === 'int8' ? 8 : 4);
          const codes = append(q.packed);
          tensors[key] = { kind: 'nbits', bits: q.bits, N, K, ...codes, scales: append(floatBytes(q.scales)) };
          return;
        }
        const t = transpose(weight, N, K);
        tensors[key] =
          precision === 'fp16'
            ? { kind: 'half', dims: [K, N], ...append(encodeFloat16(t)) }
            : { kind: 'float', dims: [K, N], ...append(floatBytes(t)) };
      };
      // The embedding table feeds a Gather, which reads one row per token: it stays fp32 unless the
      // whole model is fp16 (the graph then casts it once at load).
      const embed = lm.tensors.embed;
      if (precision === 'fp16') {
        tensors.embed_tokens = {
          kind: 'half',
          dims: [V, D],
          ...append(encodeFloat16(readSafetensor(embed.file, embed.name))),
        };
      } else {
        plain('embed_tokens', embed);
      }
      lm.tensors.layers.forEach((layer, L) => {
        plain(`l${L}_input_norm`, layer.inputNorm);
        plain(`l${L}_post_attention_norm`, layer.postAttentionNorm);
        for (const key of LINEAR) linear(`l${L}_${key}`, layer[key]);
      });
      plain('final_norm', lm.tensors.finalNorm);
      linear('lm_head', lm.tensors.lmHead);
      return { format: FORMAT, precision, sourceSha256, tensors };
    },
  );
  return { config: lm.config, manifest, folder: cacheFolder };
}

/** Bytes a decode step reads from the stored weights: all but the embedding table (one row per token). */
export function weightBytesPerToken(manifest: WeightManifest): number {
  let bytes = 0;
  for (const [name, t] of Object.entries(manifest.tensors)) {
    if (name === 'embed_tokens') continue;
    bytes += t.length + (t.kind === 'nbits' ? t.scales.length : 0);
  }
  return bytes;
}
