// Packing image features for the language model, as transformers' LlavaNextModel.pack_image_features
// (issue 14). One image becomes: the base tile's features (side x side, row-major, no newlines), then
// the anyres grid's tiles merged into one (rows*side) x (cols*side) map, the padding added to fit the
// grid cut off again (unpad_image), with the image_newline embedding after every row of that map.
// The prompt's one <image> token is expanded to exactly that many positions, and those positions'
// embeddings are the packed features, in order.
import type { PromptEmbeds } from '../lm/decode.js';
import { AppError } from '../../util/errors.js';
import type { VisionConfig } from './config.js';

/**
 * Rows and cols of the merged anyres map after transformers' unpad_image: the padding added to fit the
 * original aspect ratio into the tile grid is cut off, symmetrically, along one axis.
 */
export function unpaddedGrid(
  currentRows: number,
  currentCols: number,
  width: number,
  height: number,
): { rows: number; cols: number } {
  const originalAspect = width / height;
  const currentAspect = currentCols / currentRows;
  // Python's int(round(x, 7)): round to 7 decimals, then truncate.
  const round7 = (x: number) => Math.trunc(Math.round(x * 1e7) / 1e7);
  if (originalAspect > currentAspect) {
    const newRows = round7(height * (currentCols / width));
    const padding = Math.floor((currentRows - newRows) / 2);
    return { rows: currentRows - 2 * padding, cols: currentCols };
  }
  const newCols = round7(width * (currentRows / height));
  const padding = Math.floor((currentCols - newCols) / 2);
  return { rows: currentRows, cols: currentCols - 2 * padding };
}

export interface ImageLayout {
  /** original [height, width] */
  imageSize: [number, number];
  /** anyres tile rows and columns */
  grid: [number, number];
}

export interface PackedLayout {
  /** positions of the base tile */
  base: number;
  /** the unpadded map: rows (each followed by one newline position) and cols */
  rows: number;
  cols: number;
  /** first map row and column kept (the padding cut off above and to the left) */
  rowOffset: number;
  colOffset: number;
  /** base + rows * (cols + 1): how many positions the <image> token becomes */
  count: number;
}

function patchSide(config: VisionConfig): number {
  return config.imageSize / config.patchSize;
}

export function packedLayout(layout: ImageLayout, config: VisionConfig): PackedLayout {
  if (config.selectStrategy !== 'default') {
    // transformers reshapes the grid tiles to side x side maps, which a kept CLS position cannot fill
    throw new AppError(
      'unsupported',
      "config.json: vision_feature_select_strategy: 'full' cannot be packed into the anyres grid (transformers refuses it too); expected 'default'",
    );
  }
  const side = patchSide(config);
  const [height, width] = layout.imageSize;
  const fullRows = layout.grid[0] * side;
  const fullCols = layout.grid[1] * side;
  const { rows, cols } = unpaddedGrid(fullRows, fullCols, width, height);
  const base = side * side;
  return {
    base,
    rows,
    cols,
    rowOffset: (fullRows - rows) / 2,
    colOffset: (fullCols - cols) / 2,
    count: base + rows * (cols + 1),
  };
}

/**
 * tileFeatures [1 + rows*cols tiles, side*side, D] (the projector's output; the base tile first) ->
 * packed [count, D].
 */
export function packImageFeatures(
  tileFeatures: Float32Array,
  layout: ImageLayout,
  config: VisionConfig,
  imageNewline: Float32Array,
): Float32Array {
  const D = config.textHiddenSize;
  const side = patchSide(config);
  const packed = packedLayout(layout, config);
  const tileLength = side * side * D;
  const tiles = 1 + layout.grid[0] * layout.grid[1];
  if (tileFeatures.length !== tiles * tileLength)
    throw new AppError('internal', `image features: expected ${tiles} tiles of ${side * side} x ${D}`);
  const out = new Float32Array(packed.count * D);
  out.set(tileFeatures.subarray(0, tileLength));
  let at = packed.base;
  const gridCols = layout.grid[1];
  for (let r = 0; r < packed.rows; r++) {
    const y = r + packed.rowOffset;
    const tileRow = Math.floor(y / side);
    for (let c = 0; c < packed.cols; c++) {
      const x = c + packed.colOffset;
      const tile = 1 + tileRow * gridCols + Math.floor(x / side);
      const patch = (y % side) * side + (x % side);
      out.set(tileFeatures.subarray(tile * tileLength + patch * D, tile * tileLength + (patch + 1) * D), at * D);
      at++;
    }
    out.set(imageNewline, at * D);
    at++;
  }
  return out;
}

/** The prompt's ids with each <image> token repeated `counts[i]` times (the i-th image's positions). */
export function expandImageTokens(ids: readonly number[], imageTokenId: number, counts: readonly number[]): number[] {
  const found = ids.filter((id) => id === imageTokenId).length;
  if (found !== counts.length) {
    throw new AppError(
      'invalid_input',
      `prompt: expected ${counts.length} <image> token${counts.length === 1 ? '' : 's'} (one per image), found ${found}`,
    );
  }
  const out: number[] = [];
  let image = 0;
  for (const id of ids) {
    const repeat = id === imageTokenId ? counts[image++] : 1;
    for (let i = 0; i < repeat; i++) out.push(id);
  }
  return out;
}

/**
 * The packed features placed at the image positions of the expanded prompt ([S] marks, [S, D] rows):
 * what a 'mixed' decoder takes, the token rows coming from its own table.
 */
export function imageEmbedsAt(
  expandedIds: readonly number[],
  imageTokenId: number,
  packed: Float32Array,
  D: number,
): PromptEmbeds {
  const at = new Uint8Array(expandedIds.length);
  const values = new Float32Array(expandedIds.length * D);
  let next = 0;
  expandedIds.forEach((id, s) => {
    if (id !== imageTokenId) return;
    at[s] = 1;
    values.set(packed.subarray(next * D, ++next * D), s * D);
  });
  if (next * D !== packed.length)
    throw new AppError('internal', `image features: ${packed.length / D} packed positions for ${next} image tokens`);
  return { at, values };
}

/** inputs_embeds [S, D]: token embeddings, with the image positions taking the packed features in order. */
export function mergeImageEmbeds(
  expandedIds: readonly number[],
  imageTokenId: number,
  embedTable: Float32Array,
  packed: Float32Array,
  D: number,
): Float32Array {
  return withTokenRows(expandedIds, imageEmbedsAt(expandedIds, imageTokenId, packed, D), embedTable, D);
}

/**
 * inputs_embeds [S, D] from a prompt's image rows (none: a text prompt) and its token ids: every row
 * `at` does not mark becomes its token's row of the embedding table. Fills `embeds.values` in place.
 */
export function withTokenRows(
  ids: readonly number[],
  embeds: PromptEmbeds | undefined,
  embedTable: Float32Array,
  D: number,
): Float32Array {
  const values = embeds?.values ?? new Float32Array(ids.length * D);
  ids.forEach((id, s) => {
    if (!embeds?.at[s]) values.set(embedTable.subarray(id * D, (id + 1) * D), s * D);
  });
  return values;
}
