// A rated campaign for every built-in template (issue 11 round trips): items in the shape each
// template reads, three raters who lease and answer through the real rating code (so every
// judgement carries the option order and pair sides that rater was shown), and answers that
// depend on what was shown, so an import that loses the order changes them.
import type { Answer, RaterItem, ShownQuestion } from '../../src-main/contract/types';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import type { Project } from '../../src-main/project/project';
import { insertCampaign, type NewItem } from '../../src-main/store/campaigns';
import { makeRater } from '../helpers/factories';
import { rateAll } from './fixtures';

const examples = (count: number, word: string) =>
  Array.from({ length: count }, (_, index) => ({ value: `e${index + 1}`, text: `${word} example ${index + 1}` }));

function itemsFor(templateId: string, count: number): NewItem[] {
  return Array.from({ length: count }, (_, index): NewItem => {
    switch (templateId) {
      case 'feature-label':
        return {
          payload: {
            feature: { featureIndex: index, examples: [] },
            note: index % 2 ? '-starts with a minus' : `plain ${index}`,
          },
          hidden: { feature_id: 100 + index },
        };
      case 'feature-detection':
        return {
          payload: { label: `feature ${index}`, examples: examples(5, 'dog') },
          hidden: { activating: ['e1', 'e3'] },
        };
      case 'intruder':
        return { payload: { examples: examples(5, 'cat') }, hidden: { intruder_option: 'e4' } };
      case 'concept-choice':
        return {
          payload: {
            question: 'What is shown?',
            answer: `It is a thing ${index}.`,
            options: ['goldfish', 'school bus', 'strawberry', 'volcano'],
          },
          hidden: { target_class: 'volcano', source_class: 'goldfish', k: index * 5, layer: 20 },
          condition: `k=${index * 5}`,
        };
      case 'concept-relatedness':
        return {
          payload: { concept: 'volcano', answer: `Lava and ash ${index}.` },
          hidden: { k: index * 5, layer: 20 },
          condition: `k=${index * 5}`,
        };
      case 'pairwise':
        return {
          payload: {
            prompt: `Prompt ${index}`,
            criterion: 'Which answer is better?',
            a: `default answer ${index}`,
            b: `good steered answer ${index}`,
          },
          hidden: { k: 10 },
        };
      default:
        throw new Error(`no items for template ${templateId}`);
    }
  });
}

/** An answer that follows what rater `r` was shown: a position in the shown option order, the side holding the better text. */
function answerFor(item: RaterItem, index: number, r: number): Answer {
  const answer: Answer = {};
  for (const question of item.questions as ShownQuestion[]) {
    if (question.id === 'preference') {
      // Raters 0 and 1 prefer the steered text wherever it is shown; rater 2 always says left; every fourth is a tie.
      const left = String(item.payload.a);
      answer.preference = index % 4 === 3 ? 'tie' : r === 2 ? 'left' : left.startsWith('good') ? 'left' : 'right';
    } else if (question.type === 'choice') answer[question.id] = question.options[(index + r) % 2].value;
    else if (question.type === 'multi')
      answer[question.id] = question.options
        .filter((_, position) => (position + r) % 3 === 0)
        .map((option) => option.value);
    else if (question.type === 'scale')
      answer[question.id] = question.min + ((index + r) % (question.max - question.min + 1));
    else
      answer[question.id] =
        r === 1 && index === 0 ? '=HYPERLINK("http://evil.example")' : `label ${r}-${index}, "quoted"\non two lines`;
  }
  return answer;
}

export const BUILTIN_TEMPLATE_IDS = Object.keys(BUILTIN_TEMPLATES);

/** A campaign of `items` items of the template, rated by three raters (overlap 3). */
export function ratedTemplateCampaign(project: Project, templateId: string, items = 6): { campaignId: number } {
  const campaignId = insertCampaign(
    project.db,
    {
      name: `Rated ${templateId}`,
      template: BUILTIN_TEMPLATES[templateId],
      instructions: `Rate ${templateId}.`,
      overlap: 3,
      leaseSeconds: 600,
      seed: 23,
    },
    itemsFor(templateId, items),
  );
  ['ana', 'ben', 'cai'].forEach((name, r) =>
    rateAll(project, makeRater(project, campaignId, name), (item, index) => answerFor(item, index, r)),
  );
  return { campaignId };
}
