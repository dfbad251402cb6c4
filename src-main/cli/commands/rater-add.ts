import { findCampaignByName } from '../../store/campaigns';
import type { Command } from '../command';
import { stringOption } from '../command';
import { callAsResearcher, withProject } from '../project-session';
import { linkOrigin } from '../serve-info';

export const raterAddCommand: Command = {
  name: 'rater add',
  summary: "register a rater on a campaign and print the rater's link",
  usage: 'sightline rater add --project DIR --campaign NAME --name NAME [--base-url URL]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    campaign: { type: 'string', required: true, description: 'campaign name' },
    name: {
      type: 'string',
      required: true,
      description: "the rater's name (shown only to researchers; exports use a pseudonym)",
    },
    'base-url': {
      type: 'string',
      description: 'origin raters reach the server at (default: the running `sightline serve`)',
    },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const campaign = findCampaignByName(project.db, stringOption(options, 'campaign'));
      const rater = await callAsResearcher(project, 'raters.add', {
        campaignId: campaign.id,
        name: stringOption(options, 'name'),
      });
      const { origin, assumed } = linkOrigin(project.dir, options['base-url'] as string | undefined);
      if (assumed) output.info(`No running \`sightline serve\` found for this project; the link assumes ${origin}.`);
      const url = `${origin}${rater.link}`;
      output.result(
        { rater: { id: rater.id, name: rater.name, pseudonym: rater.pseudonym }, url },
        () => `Rater ${rater.name} (${rater.pseudonym}): ${url}`,
      );
    }),
};
