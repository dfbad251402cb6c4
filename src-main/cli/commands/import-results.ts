import path from 'node:path';
import { importMturkResults } from '../../export/import-mturk';
import { AppError } from '../../util/errors';
import type { Command } from '../command';
import { stringOption } from '../command';
import { withProject } from '../project-session';

const FORMATS = ['mturk'] as const;

export const importResultsCommand: Command = {
  name: 'import-results',
  summary: 'import judgements collected elsewhere (MTurk batch results CSV) as a new campaign',
  usage: 'sightline import-results --project DIR --campaign NAME --format mturk --path FILE [--template ID]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    campaign: { type: 'string', required: true, description: 'name of the new campaign to create' },
    format: { type: 'string', description: `one of ${FORMATS.join(', ')}`, default: 'mturk' },
    path: { type: 'string', required: true, description: 'the results file (UTF-8 CSV)' },
    template: { type: 'string', description: 'built-in template id (default: inferred from the Answer.* columns)' },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), (project) => {
      const format = stringOption(options, 'format');
      if (!(FORMATS as readonly string[]).includes(format)) throw new AppError('invalid_input', `--format: expected one of ${FORMATS.join(', ')}, got "${format}"`);
      const result = importMturkResults(project.db, {
        campaignName: stringOption(options, 'campaign'),
        file: path.resolve(stringOption(options, 'path')),
        templateId: options.template === undefined ? undefined : stringOption(options, 'template'),
      });
      output.result(
        result,
        () =>
          `Imported ${result.judgements} judgements on ${result.items} items by ${result.raters} workers into campaign "${result.campaignName}" ` +
          `(template ${result.template.id} v${result.template.version}${result.template.inferred ? ', inferred' : ''})` +
          (result.skippedRejected ? `; skipped ${result.skippedRejected} rejected assignment(s)` : ''),
      );
    }),
};
