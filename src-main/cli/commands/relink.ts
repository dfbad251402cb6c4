import type { RelinkEntry, RelinkResult } from '../../contract/imports';
import { RELINK_MAX_DEPTH } from '../../project/relink';
import { callAsResearcher, withProject } from '../project-session';
import { stringOption, type Command } from '../command';

const ownerOf = (r: RelinkEntry) => (r.kind === 'sae' ? `SAE "${r.owner}"` : `corpus "${r.owner}"`);

function describe(result: RelinkResult): string {
  const lines = result.references.flatMap((r) => {
    if (r.status === 'relinked') return [`relinked  ${ownerOf(r)}: ${r.file} → ${r.path}`];
    if (r.status === 'missing')
      return [
        `missing   ${ownerOf(r)}: ${r.file} (recorded ${r.recorded}, sha256 ${r.sha256 ? `${r.sha256.slice(0, 12)}…` : 'not recorded'})`,
      ];
    return [];
  });
  lines.push(
    `${result.relinked} relinked, ${result.missing} still missing, ${result.present} in place (searched ${result.search})`,
  );
  return lines.join('\n');
}

export const relinkCommand: Command = {
  name: 'relink',
  summary:
    'find moved SAE weights and activation shards in a folder (same name, size and sha256) and update their references',
  usage: 'sightline relink --project DIR --search FOLDER [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    search: {
      type: 'string',
      required: true,
      description: `folder to search, up to ${RELINK_MAX_DEPTH} levels deep, for referenced files that are missing or changed size; a file is taken only if its sha256 is the recorded one`,
    },
  },
  run: async (options, output) => {
    const result = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'project.relink', { search: stringOption(options, 'search') }),
    );
    output.result(result, () => describe(result));
  },
};
