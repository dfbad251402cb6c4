// Examples as a rater gets them (issue 11: send only what the template displays). Every example is
// rebuilt field by field from what a card shows, so nothing else rides along: no database ids, rank
// or bucket (a feature's examples were mined together and have close ids), and no raw activations.
// Payloads are data (built by Sightline, imported from a file, or stored by an older version), so
// the input is read defensively and anything that is not example-shaped is dropped.
import type { ExampleView, ImageTile, TokenActivation } from '../../contract/types';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  Boolean(value) && typeof value === 'object' && !Array.isArray(value);
const finite = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const numbers = (value: unknown): number[] | null => (Array.isArray(value) ? value.map(finite) : null);

function tokensOf(raw: unknown): TokenActivation[] | null {
  if (!Array.isArray(raw)) return null;
  return raw.filter(isRecord).map((entry) => ({ token: String(entry.token ?? ''), value: finite(entry.value) }));
}

function tilesOf(raw: unknown): ImageTile[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((tile) => ({
    tile: finite(tile.tile),
    rows: finite(tile.rows),
    cols: finite(tile.cols),
    patches: numbers(tile.patches),
  }));
}

/**
 * One example with each token and patch value passed through `highlight` (0 for none). Anyres
 * tiles only `withTiles`: detection and intruder show the base image alone.
 */
export function blindExample(raw: unknown, highlight: (value: number) => number, withTiles: boolean): ExampleView {
  const example = isRecord(raw) ? raw : {};
  const image = isRecord(example.image) && typeof example.image.sha256 === 'string' ? example.image : null;
  const tiles = withTiles && image ? tilesOf(image.anyres) : [];
  return {
    id: 0,
    documentId: 0,
    bucket: '',
    rank: 0,
    maxActivation: highlight(finite(example.maxActivation)),
    tokens: tokensOf(example.tokens)?.map(({ token, value }) => ({ token, value: highlight(value) })) ?? null,
    image: image && {
      sha256: image.sha256 as string,
      rows: finite(image.rows),
      cols: finite(image.cols),
      patches: (numbers(image.patches) ?? []).map(highlight),
      ...(tiles.length
        ? { anyres: tiles.map((tile) => ({ ...tile, patches: tile.patches?.map(highlight) ?? null })) }
        : {}),
    },
  };
}

/**
 * An example for a highlighted card: the rater's card scales highlights to the example's own
 * maximum, so values are sent already divided by it (maxActivation 1). The screen is the same and
 * no activation magnitude leaves the server. Idempotent: an example scaled before passes unchanged.
 */
export function scaledExample(raw: unknown): ExampleView {
  const example = isRecord(raw) ? raw : {};
  const values = [
    ...(tokensOf(example.tokens) ?? []).map((token) => token.value),
    ...(isRecord(example.image) ? (numbers(example.image.patches) ?? []) : []),
  ];
  const stored = finite(example.maxActivation);
  const max = stored > 0 ? stored : Math.max(0, ...values);
  // Clamped: a value can exceed the stored maximum by float rounding (float32 activations, float64 max).
  return blindExample(raw, (value) => (max > 0 ? Math.min(1, Math.max(0, value) / max) : 0), true);
}

/**
 * The value of a `feature` display block as the rater gets it: its examples scaled and blinded, and
 * nothing else (no feature index). Runs on every item served, so items stored before this rule
 * (issue 11) and imported payloads are covered too. A value with no examples passes unchanged (the
 * page shows nothing for it).
 */
export function blindFeatureBlock(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter(isRecord).map(scaledExample);
  if (isRecord(value) && Array.isArray(value.examples))
    return { examples: value.examples.filter(isRecord).map(scaledExample) };
  return value;
}
