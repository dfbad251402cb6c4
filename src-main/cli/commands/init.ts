import fs from 'node:fs';
import path from 'node:path';
import { DB_FILE, isProjectDir, openProject } from '../../project/project';
import { AppError } from '../../util/errors';
import type { Command } from '../command';
import { stringOption } from '../command';

/**
 * Creates an empty project folder, the starting point for a study with the researcher's own SAEs,
 * activations and items. Refuses a folder that holds anything, so that nothing of the user's is mixed
 * into a project by mistake.
 */
export function initProject(dir: string): string {
  const absolute = path.resolve(dir);
  if (isProjectDir(absolute))
    throw new AppError('conflict', `${absolute}: already a Sightline project (${DB_FILE} exists)`);
  if (fs.existsSync(absolute)) {
    if (!fs.statSync(absolute).isDirectory())
      throw new AppError('invalid_input', `--project ${absolute}: expected a folder to create, found a file`);
    if (fs.readdirSync(absolute).length > 0)
      throw new AppError(
        'invalid_input',
        `--project ${absolute}: expected a new or empty folder, found one with files in it`,
      );
  }
  openProject(absolute, { create: true }).close();
  return absolute;
}

// Bootstrap, not a contract method (issue 12): every contract call runs inside an open project
// (ApiContext holds it, and dispatch authenticates rater tokens against its raters table), and this
// command is what creates one. The desktop shell likewise creates or opens its project before the
// first contract call; from then on everything goes through the contract.
export const initCommand: Command = {
  name: 'init',
  summary: 'create an empty project folder',
  usage: 'sightline init --project DIR',
  options: {
    project: {
      type: 'string',
      required: true,
      description: 'project folder to create, e.g. my-study.sightline (new or empty)',
    },
  },
  run: async (options, output) => {
    const dir = initProject(stringOption(options, 'project'));
    output.result({ project: dir }, () => `Empty project ready: ${dir}`);
  },
};
