// Whether an example's image is worth a frame. A text-only feature's examples are often captions of
// images on which it never fires: their images would be frames with an empty heatmap (issue 15), so
// the feature page leaves out images that do not fire for such a feature.
import type { ExampleView } from '../../../src-main/contract';

type ExampleImage = NonNullable<ExampleView['image']>;

/** Any patch of the base grid or of an anyres tile above zero. */
export const imageFires = (image: ExampleImage): boolean =>
  image.patches.some((value) => value > 0) ||
  (image.anyres ?? []).some((tile) => tile.patches?.some((value) => value > 0) ?? false);

/** The image to draw for an example: none without one, or when only firing images are wanted and this one does not fire. */
export const shownImage = (example: ExampleView, onlyFiring: boolean): ExampleImage | null =>
  example.image && (!onlyFiring || imageFires(example.image)) ? example.image : null;
