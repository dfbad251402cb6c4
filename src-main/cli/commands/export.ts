import path from 'node:path';
import { exportJsonl } from '../../domain/export-jsonl';
import { findCampaignByName } from '../../store/campaigns';
import { AppError } from '../../util/errors';
import type { Command } from '../command';
import { stringOption } from '../command';
import { withProject } from '../project-session';

const FORMATS = ['jsonl'] as const;

export const exportCommand: Command = {
  name: 'export',
  summary: "write a campaign's judgements to a file",
  usage: 'sightline export --project DIR --campaign NAME --format jsonl --out FILE',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    campaign: { type: 'string', required: true, description: 'campaign name' },
    format: { type: 'string', description: `one of ${FORMATS.join(', ')}`, default: 'jsonl' },
    out: { type: 'string', required: true, description: 'output file' },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), (project) => {
      const format = stringOption(options, 'format');
      if (!(FORMATS as readonly string[]).includes(format)) throw new AppError('invalid_input', `--format: expected one of ${FORMATS.join(', ')}, got "${format}"`);
      const campaign = findCampaignByName(project.db, stringOption(options, 'campaign'));
      const written = exportJsonl(project.db, campaign.id, path.resolve(stringOption(options, 'out')));
      output.result(written, () => `Wrote ${written.rows} judgements to ${written.path}`);
    }),
};
