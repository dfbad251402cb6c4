import type { CampaignResults } from '../../contract/results';
import { findCampaignByName } from '../../store/campaigns';
import type { Command } from '../command';
import { intOption, stringOption } from '../command';
import { callAsResearcher, withProject } from '../project-session';
import { formatResults } from '../../results/format-table';

export const resultsCommand: Command = {
  name: 'results',
  summary:
    "a campaign's agreement (with 95% intervals), aggregated labels, rater reliability, steering curves and task scores (intruder, detection, pairwise, feature labels)",
  usage: 'sightline results --project DIR --campaign NAME [--replicates N] [--seed N] [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    campaign: { type: 'string', required: true, description: 'campaign name' },
    replicates: { type: 'string', description: 'bootstrap replicates for the alpha intervals (default 1000)' },
    seed: { type: 'string', description: "bootstrap seed (default: the campaign's seed)" },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const campaign = findCampaignByName(project.db, stringOption(options, 'campaign'));
      const results = await callAsResearcher(project, 'results.campaign', {
        campaignId: campaign.id,
        ...(options.replicates === undefined ? {} : { bootstrapReplicates: intOption(options, 'replicates') }),
        ...(options.seed === undefined ? {} : { bootstrapSeed: intOption(options, 'seed') }),
      });
      output.result(results, (value) => formatResults(value as CampaignResults));
    }),
};
