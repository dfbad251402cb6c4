import path from 'node:path';
import { createDemoProject } from '../../demo/create';
import type { Command } from '../command';
import { stringOption } from '../command';

// Bootstrap, not a contract method (issue 12): every contract call runs inside an open project
// (ApiContext holds it, and dispatch authenticates rater tokens against its raters table), and this
// command is what creates one. Once it exists, the demo project is used through the contract like
// any other.
export const demoCommand: Command = {
  name: 'demo',
  summary: 'create the demo project folder (deterministic, no downloads)',
  usage: 'sightline demo --project DIR',
  options: {
    project: { type: 'string', required: true, description: 'project folder to create, e.g. demo.sightline' },
  },
  run: async (options, output) => {
    const dir = path.resolve(stringOption(options, 'project'));
    await createDemoProject(dir);
    output.result({ project: dir }, () => `Demo project ready: ${dir}`);
  },
};
