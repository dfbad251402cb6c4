import type { featureMethods } from '../contract/features';
import { acceptedFeatureLabels, acceptFeatureLabel } from '../store/feature-labels';
import { featureLabels, getFeature, listFeatures, modalityByLayer, resolveFeatureId } from '../store/features';
import type { HandlersFor } from './handlers';

export const featureHandlers: HandlersFor<typeof featureMethods> = {
  'features.list': (input, { project }) => listFeatures(project.db, input),
  'features.get': (input, { project }) => {
    const featureId = resolveFeatureId(project.db, input);
    return {
      ...getFeature(project.db, featureId),
      acceptedLabel: acceptedFeatureLabels(project.db, [featureId]).get(featureId) ?? null,
    };
  },
  'features.labels': (input, { project }) => featureLabels(project.db, input.featureIds),
  'features.acceptLabel': (input, { project }) =>
    acceptFeatureLabel(project.db, {
      featureId: input.featureId,
      label: input.label,
      acceptedBy: input.acceptedBy,
      acceptedAt: project.clock.now(),
      campaignId: input.campaignId ?? null,
    }),
  'features.modalityByLayer': (_input, { project }) => modalityByLayer(project.db),
};
