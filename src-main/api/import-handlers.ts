// Handlers for the import methods (contract/imports.ts): the same domain calls the CLI made
// directly before issue 12, now reachable from the UI and HTTP too.
import fs from 'node:fs';
import type { importMethods, SaeFeatureStats, SaeFeatureView } from '../contract/imports';
import { maxPosition } from '../domain/feature-peak';
import { importDenseActivations } from '../importers/activations-import';
import { importDelphiCache } from '../importers/delphi-import';
import { importSae } from '../importers/sae-import';
import { relinkProject } from '../project/relink';
import type { Project } from '../project/project';
import { documentExternalId } from '../store/corpora';
import { featureIdOfIndex, featureStatsOfSae, getFeature } from '../store/features';
import { getSaeByName } from '../store/saes';
import { AppError } from '../util/errors';
import type { HandlersFor } from './handlers';
import { startImport } from './import-job';

/** A delphi cache is a folder, a sidecar a file; a path that is neither is the user's typo, not a crash. */
function isFolder(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    throw new AppError(
      'not_found',
      `--path: ${path}: no such file or folder (expected a sidecar JSON or a delphi cache folder)`,
      { path },
    );
  }
}

function featuresOfSae(project: Project, saeName: string, index: number | undefined): SaeFeatureStats | SaeFeatureView {
  const sae = getSaeByName(project, saeName);
  if (index === undefined) return { sae: sae.name, features: featureStatsOfSae(project.db, sae.id) };
  const id = featureIdOfIndex(project.db, sae.id, index);
  if (id === undefined)
    throw new AppError(
      'not_found',
      `SAE "${sae.name}" has no mined feature ${index} (run \`sightline mine\` first; d_sae ${sae.dSae})`,
    );
  const detail = getFeature(project.db, id);
  return {
    sae: sae.name,
    ...detail,
    examples: detail.examples.map((e) => ({
      ...e,
      document: documentExternalId(project.db, e.documentId) as string,
      maxAt: maxPosition(e),
    })),
  };
}

export const importHandlers: HandlersFor<typeof importMethods> = {
  'saes.import': (input, { project }) => importSae(project, input),
  'activations.import': (input, { project }) =>
    isFolder(input.path)
      ? importDelphiCache(project, input.path, input.corpus, input.sae)
      : importDenseActivations(project, input.path, input.corpus),
  'imports.start': startImport,
  'project.relink': (input, { project }) => relinkProject(project, input.search),
  'features.ofSae': (input, { project }) => featuresOfSae(project, input.sae, input.feature),
};
