import type { TemplateSpec } from '../../contract/templates';
import { AppError } from '../../util/errors';
import { BUILTIN_TEMPLATES } from './builtin';

export { BUILTIN_TEMPLATES } from './builtin';
export { answerProblem, interpolate, payloadAsShown, showPairs, showQuestions } from './show';
export { keyMapProblem, parseTemplate } from './validate';

export function builtinTemplate(id: string): TemplateSpec {
  const template = BUILTIN_TEMPLATES[id];
  if (!template)
    throw new AppError(
      'not_found',
      `template ${id}: unknown; built-in templates are ${Object.keys(BUILTIN_TEMPLATES).join(', ')}`,
    );
  return template;
}
