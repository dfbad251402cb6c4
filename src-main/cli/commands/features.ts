import { getSaeByName } from '../../store/saes';
import type { ExampleView } from '../../contract/types';
import { documentExternalId } from '../../store/corpora';
import { featureIdOfIndex, featureStatsOfSae, getFeature } from '../../store/features';
import { AppError } from '../../util/errors';
import { withProject } from '../project-session';
import { intOption, stringOption, type Command } from '../command';

type ExampleLike = Pick<ExampleView, 'tokens' | 'image'>;

/** Where an example peaks: a text token, or an image patch of tile 0 (the base grid) or anyres tile k, as the feature page numbers them. */
export type MaxPosition = { token: number; value: number } | { tile: number; patch: number; row: number; col: number; value: number };

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
  const tiles = [{ tile: 0, cols: e.image.cols, patches: e.image.patches as number[] | null }, ...(e.image.anyres ?? [])];
  for (const { tile, cols, patches } of tiles) {
    patches?.forEach((v, patch) => {
      if (v > 0 && (!best || v > best.value)) best = { tile, patch, row: Math.floor(patch / cols), col: patch % cols, value: v };
    });
  }
  return best;
}

export const featuresCommand: Command = {
  name: 'features',
  summary: "print an SAE's mined feature statistics, or one feature with its examples",
  usage: 'sightline features --project DIR --sae NAME [--feature N] [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    sae: { type: 'string', required: true, description: 'SAE name' },
    feature: { type: 'string', description: 'feature index: print its histogram and examples' },
  },
  run: async (options, output) => {
    const value = await withProject(stringOption(options, 'project'), (project) => {
      const sae = getSaeByName(project, stringOption(options, 'sae'));
      if (options.feature === undefined) {
        const rows = featureStatsOfSae(project.db, sae.id);
        return { sae: sae.name, features: rows };
      }
      const index = intOption(options, 'feature');
      const id = featureIdOfIndex(project.db, sae.id, index);
      if (id === undefined) throw new AppError('not_found', `SAE "${sae.name}" has no mined feature ${index} (run \`sightline mine\` first; d_sae ${sae.dSae})`);
      const detail = getFeature(project.db, id);
      return {
        sae: sae.name,
        ...detail,
        examples: detail.examples.map((e) => ({ ...e, document: documentExternalId(project.db, e.documentId) as string, maxAt: maxPosition(e) })),
      };
    });
    output.result(value, (v) => {
      const r = v as { features?: { index: number; density: number; maxActivation: number; modality: string; fireCount: number }[] };
      if (r.features) return r.features.map((f) => `${f.index}\tfires ${f.fireCount}\tdensity ${f.density.toExponential(3)}\tmax ${f.maxActivation.toFixed(3)}\t${f.modality}`).join('\n');
      return JSON.stringify(v, null, 2);
    });
  },
};
