import path from 'node:path';
import { IMPORT_FORMATS, NEURONPEDIA_NOT_IMPORTABLE, type ImportFormat } from '../../export/import';
import { AppError } from '../../util/errors';
import type { Command } from '../command';
import { stringOption } from '../command';
import { callAsResearcher, withProject } from '../project-session';

const FORMATS = ['auto', ...IMPORT_FORMATS] as const;

export const importResultsCommand: Command = {
  name: 'import-results',
  summary:
    'import judgements collected elsewhere or exported by Sightline (MTurk batch results CSV, JSONL, CSV, Label Studio JSON, Parquet, Hugging Face dataset folder) as a new campaign. ' +
    `${NEURONPEDIA_NOT_IMPORTABLE}.`,
  usage: `sightline import-results --project DIR --campaign NAME --path FILE|FOLDER [--format ${FORMATS.join('|')}] [--template ID [--mapping MAP.json]]`,
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    campaign: { type: 'string', required: true, description: 'name of the new campaign to create' },
    format: {
      type: 'string',
      description: `one of ${FORMATS.join(', ')}; auto: a folder is hf, .jsonl jsonl, .json label-studio, .parquet parquet, a .csv with HITId mturk, one with item_id and rater csv, any other file mturk`,
      default: 'auto',
    },
    path: {
      type: 'string',
      required: true,
      description: 'the results file (UTF-8), or the Hugging Face dataset folder',
    },
    template: { type: 'string', description: 'built-in template id (default: inferred from the answers)' },
    mapping: {
      type: 'string',
      description:
        'MTurk only, with --template: JSON {answers: {question: "Answer.col"}, payload, hidden, steering, ...} reading an old batch\'s own Input.*/Answer.* columns into the template (same fields as campaign create --mapping)',
    },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const format = stringOption(options, 'format');
      if (format === 'neuronpedia')
        throw new AppError('invalid_input', `--format neuronpedia: ${NEURONPEDIA_NOT_IMPORTABLE}`);
      if (!(FORMATS as readonly string[]).includes(format))
        throw new AppError('invalid_input', `--format: expected one of ${FORMATS.join(', ')}, got "${format}"`);
      const result = await callAsResearcher(project, 'results.import', {
        campaign: stringOption(options, 'campaign'),
        path: path.resolve(stringOption(options, 'path')),
        format: format as ImportFormat | 'auto',
        ...(options.template !== undefined ? { template: stringOption(options, 'template') } : {}),
        ...(options.mapping !== undefined ? { mapping: stringOption(options, 'mapping') } : {}),
      });
      output.result(
        result,
        () =>
          `Imported ${result.judgements} judgements on ${result.items} items by ${result.raters} ${result.format === 'mturk' ? 'workers' : `raters from ${result.format}`} into campaign "${result.campaignName}" ` +
          `(template ${result.template.id} v${result.template.version}${result.template.inferred ? ', inferred' : ''})` +
          (result.skippedRejected ? `; skipped ${result.skippedRejected} rejected or cancelled assignment(s)` : ''),
      );
    }),
};
