import path from 'node:path';
import type { TemplateSpec } from '../../contract/templates';
import { BUILTIN_TEMPLATES } from '../../domain/templates';
import { AppError } from '../../util/errors';
import { stringOption, type Command } from '../command';
import { callAsResearcher, withProject } from '../project-session';

async function allTemplates(projectDir: string | undefined): Promise<{ template: TemplateSpec; builtin: boolean }[]> {
  if (!projectDir) return Object.values(BUILTIN_TEMPLATES).map((template) => ({ template, builtin: true }));
  return withProject(path.resolve(projectDir), (project) => callAsResearcher(project, 'templates.list', {}));
}

export const templateListCommand: Command = {
  name: 'template list',
  summary: 'list the built-in templates (and a project’s own with --project)',
  usage: 'sightline template list [--project DIR] [--json]',
  options: { project: { type: 'string', description: 'also list this project’s saved templates' } },
  run: async (options, output) => {
    const templates = await allTemplates(options.project as string | undefined);
    output.result(
      templates.map(({ template, builtin }) => ({
        id: template.id,
        version: template.version,
        title: template.title,
        builtin,
      })),
      () =>
        templates
          .map(
            ({ template, builtin }) =>
              `${template.id.padEnd(22)}v${template.version}  ${template.title}${builtin ? '' : '  (project)'}`,
          )
          .join('\n'),
    );
  },
};

export const templateShowCommand: Command = {
  name: 'template show',
  summary: 'print a template’s JSON question schema (a starting point for your own)',
  usage: 'sightline template show --id ID [--project DIR]',
  options: {
    id: { type: 'string', required: true, description: 'template id' },
    project: { type: 'string', description: 'look in this project’s saved templates too' },
  },
  run: async (options, output) => {
    const templates = await allTemplates(options.project as string | undefined);
    const found = templates.filter(({ template }) => template.id === stringOption(options, 'id')).at(-1);
    if (!found)
      throw new AppError('not_found', `template ${options.id}: unknown; \`sightline template list\` shows the ids`);
    output.result(found.template, () => JSON.stringify(found.template, null, 2));
  },
};
