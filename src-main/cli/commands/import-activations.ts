import { callAsResearcher, withProject } from '../project-session';
import { stringOption, type Command } from '../command';

export const importActivationsCommand: Command = {
  name: 'import-activations',
  summary: 'reference activation shards (sidecar JSON + safetensors/.npy, or a delphi sparse cache) as a corpus',
  usage: 'sightline import-activations --project DIR --path SIDECAR.json|DELPHI_DIR [--corpus NAME] [--sae NAME]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    path: {
      type: 'string',
      required: true,
      description: 'the sidecar JSON (format in the README), or a delphi cache folder of <start>_<end>.safetensors',
    },
    corpus: { type: 'string', description: 'corpus name (default: the folder name)' },
    sae: {
      type: 'string',
      description: 'delphi only: the SAE the cache was encoded with (created as "precomputed" if absent)',
    },
  },
  run: async (options, output) => {
    const result = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'activations.import', {
        path: stringOption(options, 'path'),
        ...(options.corpus !== undefined ? { corpus: stringOption(options, 'corpus') } : {}),
        ...(options.sae !== undefined ? { sae: stringOption(options, 'sae') } : {}),
      }),
    );
    output.result(
      result,
      () =>
        `Imported corpus "${result.corpus}": ${result.documents} documents, ${result.shards} shards, ${result.rows} rows`,
    );
  },
};
