import fs from 'node:fs';
import { importDelphiCache } from '../../importers/delphi-import';
import { importDenseActivations } from '../../importers/activations-import';
import { withProject } from '../project-session';
import { stringOption, type Command } from '../command';
import { AppError } from '../../util/errors';

/** A delphi cache is a folder, a sidecar a file; a path that is neither is the user's typo, not a crash. */
function isFolder(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    throw new AppError('not_found', `--path: ${path}: no such file or folder (expected a sidecar JSON or a delphi cache folder)`, { path });
  }
}

export const importActivationsCommand: Command = {
  name: 'import-activations',
  summary: 'reference activation shards (sidecar JSON + safetensors/.npy, or a delphi sparse cache) as a corpus',
  usage: 'sightline import-activations --project DIR --path SIDECAR.json|DELPHI_DIR [--corpus NAME] [--sae NAME]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    path: { type: 'string', required: true, description: 'the sidecar JSON (format in the README), or a delphi cache folder of <start>_<end>.safetensors' },
    corpus: { type: 'string', description: 'corpus name (default: the folder name)' },
    sae: { type: 'string', description: 'delphi only: the SAE the cache was encoded with (created as "precomputed" if absent)' },
  },
  run: async (options, output) => {
    const path = stringOption(options, 'path');
    const corpus = options.corpus === undefined ? undefined : stringOption(options, 'corpus');
    const result = await withProject(stringOption(options, 'project'), (project) =>
      isFolder(path)
        ? importDelphiCache(project, path, corpus, options.sae === undefined ? undefined : stringOption(options, 'sae'))
        : importDenseActivations(project, path, corpus),
    );
    output.result(result, () => `Imported corpus "${result.corpus}": ${result.documents} documents, ${result.shards} shards, ${result.rows} rows`);
  },
};
