// How an activation becomes a colour, in one place: the token highlight, the patch heatmap and the
// feature page's legend must agree, or the legend lies. `level` is the activation over the scale
// (the feature's max), 0..1 (lib/format intensity).

/** How a page draws its heatmaps: over the image, as a spotlight, or not at all (image only). */
export type HeatmapMode = 'overlay' | 'spotlight' | 'off';

/** Token highlight: a faint fill for any firing token, up to a strong orange at the max. */
export const tokenFill = (level: number): string => `rgba(255, 140, 0, ${(0.1 + 0.75 * level).toFixed(3)})`;
/** The border that tells adjacent firing tokens apart without '·' separators (issue 15). */
export const tokenBorder = (level: number): string => `rgba(194, 97, 12, ${(0.35 + 0.65 * level).toFixed(3)})`;

/** Heatmap overlay: orange over the image, transparent where nothing fires. RGBA bytes for a canvas. */
export const overlayPixel = (level: number): [number, number, number, number] => [255, 120, 0, Math.round(level * 200)];
/** Spotlight: darkens what does not fire and leaves the firing patches clear. */
export const spotlightPixel = (level: number): [number, number, number, number] => [
  0,
  0,
  0,
  Math.round((1 - level) * 215),
];

const css = ([r, g, b, a]: [number, number, number, number]) => `rgba(${r}, ${g}, ${b}, ${(a / 255).toFixed(3)})`;

/** A left-to-right CSS gradient from level 0 to level 1 of one of the scales above. */
export function legendGradient(scale: 'tokens' | 'overlay' | 'spotlight'): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((level) =>
    scale === 'tokens' ? tokenFill(level) : css(scale === 'overlay' ? overlayPixel(level) : spotlightPixel(level)),
  );
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
