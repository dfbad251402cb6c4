// Fills a project with one big concept-choice campaign quickly (batched inserts in one transaction).
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { openProject } from '../../src-main/project/project';
import { insertCampaign } from '../../src-main/store/campaigns';

const CLASSES = [
  'goldfish',
  'school bus',
  'strawberry',
  'volcano',
  'tabby cat',
  'golden retriever',
  'tractor',
  'castle',
];

export function seedConceptCampaign(dir: string, name: string, items: number, overlap: number): void {
  const project = openProject(dir, { create: true });
  try {
    insertCampaign(
      project.db,
      {
        name,
        template: BUILTIN_TEMPLATES['concept-choice'],
        instructions: 'Pick the concept.',
        overlap,
        leaseSeconds: 900,
        seed: 11,
      },
      Array.from({ length: items }, (_, index) => {
        const pick = (offset: number) => CLASSES[(index + offset) % CLASSES.length];
        const k = (index % 7) * 5;
        return {
          payload: {
            question: 'What is shown in this image?',
            answer: `Answer ${index}: it looks like a ${k > 10 ? pick(1) : pick(0)}.`,
            options: [pick(0), pick(1), pick(2), pick(3)].sort(),
          },
          hidden: { source_class: pick(0), target_class: pick(1), k, layer: 20 },
          condition: `k=${k}`,
        };
      }),
    );
  } finally {
    project.close();
  }
}
