// The feature list's one-glance preview of a feature's strongest example (issue 15): a thumbnail
// heatmap and/or the tokens around the max. Built from the columns listFeatures reads in its one
// query, so a page of 200 rows costs no extra query per row.
import type { FeaturePreview, TokenActivation } from '../contract/types';
import { decodeActs } from './acts-json';
import { parseJson } from './db';

/** The thumbnail grid's largest side: a ~40 px thumbnail shows no more, and 24×24 grids would bloat a page. */
export const PREVIEW_GRID = 8;
/** Tokens shown in a row: enough for the firing word and its neighbours. */
export const PREVIEW_TOKENS = 8;
/** Of those, how many come before the max-activating token (the context that leads up to it). */
const TOKENS_BEFORE_MAX = 2;

/** The top example's columns as listFeatures selects them (all null when the feature has no example). */
export interface PreviewColumns {
  previewMax: number | null;
  previewTokenActs: string | null;
  previewPatchActs: string | null;
  previewRows: number | null;
  previewCols: number | null;
  previewTokens: string | null;
  previewSha: string | null;
}

const PREVIEW_COLUMN_NAMES = [
  'previewMax',
  'previewTokenActs',
  'previewPatchActs',
  'previewRows',
  'previewCols',
  'previewTokens',
  'previewSha',
] as const satisfies readonly (keyof PreviewColumns)[];

/** A list row as the contract has it: the top example's columns folded into `preview`. */
export function withPreview<T extends PreviewColumns>(
  row: T,
): Omit<T, keyof PreviewColumns> & { preview: FeaturePreview | null } {
  const rest: Partial<T> = { ...row };
  for (const name of PREVIEW_COLUMN_NAMES) delete rest[name];
  return { ...(rest as Omit<T, keyof PreviewColumns>), preview: previewOf(row) };
}

/**
 * Max-pools a row-major rows×cols grid by the smallest whole factor that brings both sides to at
 * most `largest`. Max, not mean: a feature that fires on one patch must still show on the thumbnail.
 */
export function poolGrid(
  patches: readonly number[],
  rows: number,
  cols: number,
  largest = PREVIEW_GRID,
): { rows: number; cols: number; patches: number[] } {
  const factor = Math.max(1, Math.ceil(Math.max(rows, cols) / largest));
  const pooledRows = Math.ceil(rows / factor);
  const pooledCols = Math.ceil(cols / factor);
  const pooled = new Array<number>(pooledRows * pooledCols).fill(0);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const at = Math.floor(row / factor) * pooledCols + Math.floor(col / factor);
      pooled[at] = Math.max(pooled[at], patches[row * cols + col] ?? 0);
    }
  }
  return { rows: pooledRows, cols: pooledCols, patches: pooled };
}

/** Up to `count` tokens around the first max-activating one (the whole text when it is that short). */
export function tokensAroundMax(tokens: readonly TokenActivation[], count = PREVIEW_TOKENS): TokenActivation[] {
  let maxAt = 0;
  for (let i = 1; i < tokens.length; i++) if (tokens[i].value > tokens[maxAt].value) maxAt = i;
  const end = Math.min(tokens.length, Math.max(0, maxAt - TOKENS_BEFORE_MAX) + count);
  return tokens.slice(Math.max(0, end - count), end);
}

export function previewOf(columns: PreviewColumns): FeaturePreview | null {
  if (columns.previewMax === null) return null;
  const words = parseJson<string[] | null>(columns.previewTokens, 'documents.tokens_json');
  const values = decodeActs(columns.previewTokenActs, 'examples.token_acts_json');
  const patches = decodeActs(columns.previewPatchActs, 'examples.patch_acts_json');
  const { previewRows: rows, previewCols: cols } = columns;
  return {
    maxActivation: columns.previewMax,
    // The base grid comes first in patch_acts_json (anyres tiles follow it), so its rows×cols prefix is the base image.
    image:
      columns.previewSha && patches && rows && cols
        ? { sha256: columns.previewSha, ...poolGrid(patches.slice(0, rows * cols), rows, cols) }
        : null,
    tokens:
      Array.isArray(words) && words.length > 0 && values
        ? tokensAroundMax(words.map((token, i) => ({ token, value: values[i] ?? 0 })))
        : null,
  };
}
