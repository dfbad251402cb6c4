import type { resultsMethods } from '../contract/results';
import { getCampaign } from '../store/campaigns';
import { campaignResults } from '../results/report';
import type { HandlersFor } from './handlers';

export const resultsHandlers: HandlersFor<typeof resultsMethods> = {
  'results.campaign': (input, { project }) =>
    campaignResults(project.db, getCampaign(project.db, input.campaignId).id, {
      bootstrap: { seed: input.bootstrapSeed, replicates: input.bootstrapReplicates },
    }),
};
