import { l2Norm } from '../util/norm';
import type { vectorMethods, VectorSummary } from '../contract/vectors';
import { exportVector, importVector, vectorFromSae } from '../steer/vectors';
import { vectorFeatures } from '../steer/vector-features';
import { listVectors, type VectorRecord } from '../store/vectors';
import type { HandlersFor } from './handlers';

function summary(v: VectorRecord): VectorSummary {
  return {
    id: v.id,
    name: v.name,
    dModel: v.dModel,
    sha256: v.sha256,
    source: v.source,
    norm: l2Norm(v.values),
    createdAt: v.createdAt,
  };
}

export const vectorHandlers: HandlersFor<typeof vectorMethods> = {
  'vectors.import': async (input, { project }) =>
    summary(
      await importVector(project, {
        path: input.path,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.key !== undefined ? { key: input.key } : {}),
      }),
    ),
  'vectors.fromSae': async (input, { project }) =>
    summary(
      await vectorFromSae(project, {
        sae: input.sae,
        feature: input.feature,
        ...(input.name !== undefined ? { name: input.name } : {}),
      }),
    ),
  'vectors.export': (input, { project }) => exportVector(project, input),
  'vectors.features': (input, { project }) => vectorFeatures(project, input),
  'vectors.list': (_input, { project }) => listVectors(project.db).map(summary),
};
