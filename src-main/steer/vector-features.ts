// `sightline vector features` / vectors.features (issue 14): which SAE features a steering vector is
// made of, read as the cosine of the vector with each decoder row (the paper reconstructs its class
// steering vectors from SAE features this way). The SAE is read and ranked in the engine worker, so
// neither the 1 GiB read nor the pass over it blocks the thread that serves the UI.
import { l2Norm } from '../util/norm';
import type { VectorFeatureMatch, VectorFeatures } from '../contract/vectors';
import { EngineClient } from '../engine/client';
import type { FeatureCosine } from '../engine/decoder-cosines';
import { checkSaeFilesPresent, checkSaeHashes, loadOptionsOf } from '../importers/sae-import';
import type { Project } from '../project/project';
import { minedFeaturesByIndex } from '../store/features';
import { getSaeByName } from '../store/saes';
import { AppError } from '../util/errors';
import { getVector } from './vectors';

export async function vectorFeatures(
  project: Project,
  options: { vector: string; sae: string; top: number },
): Promise<VectorFeatures> {
  const vector = getVector(project, options.vector);
  const sae = getSaeByName(project, options.sae);
  if (sae.config.files.length === 0)
    throw new AppError(
      'invalid_input',
      `SAE "${sae.name}" has no weight files in this project (its features came precomputed), so it has no decoder rows to compare`,
    );
  if (sae.dIn !== vector.dModel)
    throw new AppError(
      'invalid_input',
      `vector "${vector.name}" has d_model ${vector.dModel} but SAE "${sae.name}" reads d_in ${sae.dIn}; pick an SAE of the vector's model and layer`,
    );
  checkSaeFilesPresent(project, sae);
  const client = EngineClient.start();
  let ranking: Awaited<ReturnType<EngineClient['decoderCosines']>>;
  try {
    ranking = await client.decoderCosines({
      source: { path: sae.path, options: loadOptionsOf(sae) },
      vector: vector.values,
      count: options.top,
    });
  } finally {
    await client.close();
  }
  // The ranking must come from the weights that were imported, not from a file changed since.
  checkSaeHashes(sae, ranking.files);
  const mined = minedFeaturesByIndex(
    project.db,
    sae.id,
    [...ranking.top, ...ranking.bottom].map((f) => f.feature),
  );
  const withLabels = (found: FeatureCosine): VectorFeatureMatch => {
    const feature = mined.get(found.feature);
    return {
      ...found,
      mined: feature !== undefined,
      label: feature?.label ?? null,
      modality: feature?.modality ?? null,
    };
  };
  return {
    vector: { name: vector.name, dModel: vector.dModel, sha256: vector.sha256, norm: l2Norm(vector.values) },
    sae: { name: sae.name, layer: sae.layer, dIn: ranking.dIn, dSae: ranking.dSae, sha256: sae.sha256 },
    top: ranking.top.map(withLabels),
    bottom: ranking.bottom.map(withLabels),
    zeroRows: ranking.zeroRows,
  };
}
