import path from 'node:path';
import { EXPORT_FORMATS, exportCampaign, isExportFormat } from '../../export';
import { formatProgress } from '../../export/progress';
import { findCampaignByName } from '../../store/campaigns';
import { AppError } from '../../util/errors';
import type { Command } from '../command';
import { stringOption } from '../command';
import { withProject } from '../project-session';

export const exportCommand: Command = {
  name: 'export',
  summary: "write a campaign's judgements to a dataset file (with a provenance manifest)",
  usage: `sightline export --project DIR --campaign NAME --format ${EXPORT_FORMATS.join('|')} --out PATH [--reveal-raters]`,
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    campaign: { type: 'string', required: true, description: 'campaign name' },
    format: { type: 'string', description: `one of ${EXPORT_FORMATS.join(', ')} (hf writes a folder)`, default: 'jsonl' },
    out: { type: 'string', required: true, description: 'output file (a folder for --format hf); provenance goes to <out>.provenance.json (or <out>/provenance.json)' },
    'reveal-raters': { type: 'boolean', description: "write raters' names instead of their pseudonyms" },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), (project) => {
      const format = stringOption(options, 'format');
      if (!isExportFormat(format)) throw new AppError('invalid_input', `--format: expected one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
      const campaign = findCampaignByName(project.db, stringOption(options, 'campaign'));
      let reported = false;
      const written = exportCampaign(project.db, campaign.id, {
        format,
        out: path.resolve(stringOption(options, 'out')),
        revealRaters: options['reveal-raters'] === true,
        // Throttled to one line a second by the exporter; small exports finish before the first.
        onProgress: (progress) => {
          if (progress.done < progress.total || reported) {
            reported = true;
            process.stderr.write(`export ${format}: ${formatProgress(progress)}\n`);
          }
        },
      });
      output.result(written, () => `Wrote ${written.rows} ${format === 'labelstudio' ? 'tasks' : format === 'neuronpedia' ? 'explanations' : 'judgements'} to ${written.path}\nProvenance: ${written.provenancePath}`);
    }),
};
