import { SAE_FORMAT_NAMES } from '../../contract/imports';
import { callAsResearcher, withProject } from '../project-session';
import { stringOption, type Command } from '../command';
import { AppError } from '../../util/errors';

export const importSaeCommand: Command = {
  name: 'import-sae',
  summary: 'reference an SAE (SAELens, sparsify, torch, Gemma Scope npz) in a project; weights are not copied',
  usage:
    'sightline import-sae --project DIR --path PATH [--name NAME] [--format saelens|sparsify|torch|gemmascope] [--input-scale X] [--layer N]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    path: { type: 'string', required: true, description: 'SAE directory or file' },
    name: { type: 'string', description: 'name in the project (default: the file or folder name)' },
    format: { type: 'string', description: 'force a format instead of detecting it' },
    'input-scale': {
      type: 'string',
      description: 'multiply inputs by X before encoding (e.g. 8 for sae(x*8)/8, or expected_average_only_in)',
    },
    layer: { type: 'string', description: 'layer number, when the config does not say' },
  },
  run: async (options, output) => {
    const number = (name: string) => {
      if (options[name] === undefined) return undefined;
      const v = Number(options[name]);
      if (!Number.isFinite(v))
        throw new AppError('invalid_input', `--${name}: expected a number, got "${options[name]}"`);
      return v;
    };
    const format = options.format === undefined ? undefined : stringOption(options, 'format');
    if (format !== undefined && !(SAE_FORMAT_NAMES as readonly string[]).includes(format)) {
      throw new AppError('invalid_input', `--format ${format}: expected one of ${SAE_FORMAT_NAMES.join(', ')}`);
    }
    const record = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'saes.import', {
        path: stringOption(options, 'path'),
        ...(options.name !== undefined ? { name: stringOption(options, 'name') } : {}),
        ...(format !== undefined ? { format: format as (typeof SAE_FORMAT_NAMES)[number] } : {}),
        ...(number('input-scale') !== undefined ? { inputScale: number('input-scale')! } : {}),
        ...(number('layer') !== undefined ? { layer: number('layer')! } : {}),
      }),
    );
    output.result(
      record,
      () =>
        `Imported SAE "${record.name}": ${record.architecture} ${record.format}, d_in ${record.dIn}, d_sae ${record.dSae}, layer ${record.layer ?? '?'} (sha256 ${record.sha256?.slice(0, 12)}…)`,
    );
  },
};
