// Where a feature's example peaks, as the feature page numbers tokens, tiles and patches: the CLI
// prints it beside each example (features.ofSae) so a script can jump to the strongest position.
import type { MaxPosition } from '../contract/imports';
import type { ExampleView } from '../contract/types';

type ExampleLike = Pick<ExampleView, 'tokens' | 'image'>;

/**
 * The example's largest positive activation over its tokens, the base grid and every anyres tile
 * (first of ties in that order), or null when nothing fired. `patch` is row-major within its tile.
 */
export function maxPosition(e: ExampleLike): MaxPosition | null {
  let best: MaxPosition | null = null;
  e.tokens?.forEach((t, i) => {
    if (t.value > 0 && (!best || t.value > best.value)) best = { token: i, value: t.value };
  });
  if (!e.image) return best;
  // Projects mined before every tile was stored have no values for anyres tiles (patches: null).
  const tiles = [
    { tile: 0, cols: e.image.cols, patches: e.image.patches as number[] | null },
    ...(e.image.anyres ?? []),
  ];
  for (const { tile, cols, patches } of tiles) {
    patches?.forEach((v, patch) => {
      if (v > 0 && (!best || v > best.value))
        best = { tile, patch, row: Math.floor(patch / cols), col: patch % cols, value: v };
    });
  }
  return best;
}
