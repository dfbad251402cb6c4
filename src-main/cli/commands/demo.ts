import path from 'node:path';
import { createDemoProject } from '../../demo/create';
import type { Command } from '../command';
import { stringOption } from '../command';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'create the demo project folder (deterministic, no downloads)',
  usage: 'sightline demo --project DIR',
  options: { project: { type: 'string', required: true, description: 'project folder to create, e.g. demo.sightline' } },
  run: async (options, output) => {
    const dir = path.resolve(stringOption(options, 'project'));
    await createDemoProject(dir);
    output.result({ project: dir }, () => `Demo project ready: ${dir}`);
  },
};
