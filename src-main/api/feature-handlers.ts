import type { featureMethods } from '../contract/features';
import { getFeature, listFeatures, modalityByLayer } from '../store/features';
import type { HandlersFor } from './handlers';

export const featureHandlers: HandlersFor<typeof featureMethods> = {
  'features.list': (input, { project }) => listFeatures(project.db, input),
  'features.get': (input, { project }) => getFeature(project.db, input.featureId),
  'features.modalityByLayer': (_input, { project }) => modalityByLayer(project.db),
};
