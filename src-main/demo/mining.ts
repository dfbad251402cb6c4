// Mines the demo features the way a real mining job would: from per-position activations to
// density, modality counts, a histogram and sampled examples (top-k plus quantile buckets, as in
// Anthropic's and Neuronpedia's dashboards), then writes the saes, features and examples rows.
import type { Db } from '../store/db';
import type { Modality } from '../contract/types';
import { hashSeed, mulberry32, shuffleInPlace } from '../util/random';
import { featureActivations, type DocumentActivations } from './activations';
import type { DemoDocument } from './corpus';
import { FEATURE_SPECS, type FeatureSpec } from './feature-specs';
import { PATCH_GRID } from './images';

export const SAE_NAME = 'demo-sae';
export const MODEL_NAME = 'demo-vlm';
export const SAE_LAYER = 20;
export const SAE_HOOK_POINT = 'blocks.20.hook_resid_post';
const D_IN = 64;
const D_SAE = 48;
const TOP_EXAMPLES = 10;
const QUANTILE_BUCKETS = 3;
const EXAMPLES_PER_QUANTILE = 2;
const HISTOGRAM_BINS = 20;
/** A feature is single-modality when at least this share of its firings are in one modality. */
const MODALITY_SHARE = 0.9;

export interface MinedFeature {
  id: number;
  index: number;
  spec: FeatureSpec;
  modality: Modality;
  fireCount: number;
}

export interface FeatureStats {
  fireCount: number;
  tokenCount: number;
  density: number;
  maxActivation: number;
  imageCount: number;
  textCount: number;
  modality: Modality;
  histogram: { edges: number[]; counts: number[] };
}

const round4 = (value: number) => Math.round(value * 1e4) / 1e4;

export function modalityOf(imageCount: number, textCount: number): Modality {
  const fired = imageCount + textCount;
  if (fired === 0) return 'dead';
  if (imageCount >= MODALITY_SHARE * fired) return 'image';
  if (textCount >= MODALITY_SHARE * fired) return 'text';
  return 'shared';
}

/** HISTOGRAM_BINS equal-width bins over (0, max]; an empty histogram for a dead feature. */
export function histogramOf(values: number[], max: number): { edges: number[]; counts: number[] } {
  if (max <= 0) return { edges: [], counts: [] };
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => round4((max * i) / HISTOGRAM_BINS));
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const value of values) counts[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.ceil((value / max) * HISTOGRAM_BINS) - 1))]++;
  return { edges, counts };
}

export function featureStats(activations: DocumentActivations[]): FeatureStats {
  let imageCount = 0;
  let textCount = 0;
  let tokenCount = 0;
  let maxActivation = 0;
  const values: number[] = [];
  for (const { tokens, patches } of activations) {
    for (const [list, isImage] of [
      [tokens, false],
      [patches ?? [], true],
    ] as const) {
      tokenCount += list.length;
      for (const value of list) {
        if (value <= 0) continue;
        values.push(value);
        maxActivation = Math.max(maxActivation, value);
        if (isImage) imageCount++;
        else textCount++;
      }
    }
  }
  const fireCount = imageCount + textCount;
  return {
    fireCount,
    tokenCount,
    density: tokenCount ? fireCount / tokenCount : 0,
    maxActivation,
    imageCount,
    textCount,
    modality: modalityOf(imageCount, textCount),
    histogram: histogramOf(values, maxActivation),
  };
}

const documentMax = ({ tokens, patches }: DocumentActivations) => Math.max(0, ...tokens, ...(patches ?? []));

/**
 * Which documents become examples: the top TOP_EXAMPLES by per-document max, then
 * EXAMPLES_PER_QUANTILE drawn (seeded) from each third of the rest, 'quantile-1' being the
 * strongest third. Ties break on document order, so the choice is stable.
 */
export function sampleExamples(featureIndex: number, maxima: number[]): { bucket: string; rank: number; documentIndex: number }[] {
  const firing = maxima
    .map((max, documentIndex) => ({ max, documentIndex }))
    .filter(({ max }) => max > 0)
    .sort((a, b) => b.max - a.max || a.documentIndex - b.documentIndex);
  const chosen = firing.slice(0, TOP_EXAMPLES).map(({ documentIndex }, rank) => ({ bucket: 'top', rank, documentIndex }));
  const rest = firing.slice(TOP_EXAMPLES);
  const rng = mulberry32(hashSeed('sightline-demo', 'examples', featureIndex));
  for (let q = 0; q < QUANTILE_BUCKETS; q++) {
    const slice = rest.slice(Math.floor((q * rest.length) / QUANTILE_BUCKETS), Math.floor(((q + 1) * rest.length) / QUANTILE_BUCKETS));
    const picked = shuffleInPlace([...slice], rng)
      .slice(0, EXAMPLES_PER_QUANTILE)
      .sort((a, b) => b.max - a.max || a.documentIndex - b.documentIndex);
    picked.forEach(({ documentIndex }, rank) => chosen.push({ bucket: `quantile-${q + 1}`, rank, documentIndex }));
  }
  return chosen;
}

/** Writes the model and SAE rows, then every feature with its stats and examples. */
export function insertMinedSae(db: Db, documents: DemoDocument[], createdAt: number): MinedFeature[] {
  const modelId = Number(
    db
      .prepare('INSERT INTO models (name, path, size, sha256, config_json, created_at) VALUES (?, NULL, NULL, NULL, ?, ?)')
      .run(MODEL_NAME, JSON.stringify({ d_model: D_IN, note: 'demo stand-in for a vision-language model; no weights' }), createdAt).lastInsertRowid,
  );
  const saeId = Number(
    db
      .prepare(
        `INSERT INTO saes (name, model_id, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json, created_at)
         VALUES (?, ?, 'demo', 'relu', ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)`,
      )
      .run(SAE_NAME, modelId, SAE_LAYER, SAE_HOOK_POINT, D_IN, D_SAE, JSON.stringify({ planted: true, patch_grid: [PATCH_GRID, PATCH_GRID] }), createdAt)
      .lastInsertRowid,
  );
  const insertFeature = db.prepare(
    `INSERT INTO features (sae_id, feature_index, fire_count, token_count, density, max_activation, image_count, text_count, modality, histogram_json, stats_json, label)
     VALUES (@saeId, @index, @fireCount, @tokenCount, @density, @maxActivation, @imageCount, @textCount, @modality, @histogram, @stats, @label)`,
  );
  const insertExample = db.prepare(
    `INSERT INTO examples (feature_id, document_id, bucket, rank, max_activation, token_acts_json, patch_acts_json, patch_rows, patch_cols)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return FEATURE_SPECS.map((spec, index) => {
    const activations = featureActivations(index, spec, documents);
    const stats = featureStats(activations);
    const maxima = activations.map(documentMax);
    const id = Number(
      insertFeature.run({
        saeId,
        index,
        ...stats,
        histogram: JSON.stringify(stats.histogram),
        stats: JSON.stringify({ planted: spec.planted, documents_firing: maxima.filter((max) => max > 0).length }),
        label: spec.label,
      }).lastInsertRowid,
    );
    for (const { bucket, rank, documentIndex } of sampleExamples(index, maxima)) {
      const { tokens, patches } = activations[documentIndex];
      const grid = patches ? PATCH_GRID : null;
      insertExample.run(id, documents[documentIndex].id, bucket, rank, maxima[documentIndex], JSON.stringify(tokens), patches ? JSON.stringify(patches) : null, grid, grid);
    }
    return { id, index, spec, modality: stats.modality, fireCount: stats.fireCount };
  });
}
