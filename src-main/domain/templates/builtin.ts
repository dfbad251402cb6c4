import type { OptionSpec, TemplateSpec } from '../../contract/templates';

const MODALITY_OPTIONS: OptionSpec[] = [
  { value: 'image', label: 'Image' },
  { value: 'text', label: 'Text' },
  { value: 'both', label: 'Both' },
  { value: 'neither', label: 'Neither' },
];

const CONFIDENCE_OPTIONS: OptionSpec[] = [
  { value: 'low', label: 'Low' },
  { value: 'medium', label: 'Medium' },
  { value: 'high', label: 'High' },
];

// The paper rated relatedness on 0 / .25 / .5 / .75 / 1 and kept "incoherent" apart from 0.
const RELATEDNESS_OPTIONS: OptionSpec[] = [
  { value: '0', label: '0 — unrelated' },
  { value: '0.25', label: '0.25' },
  { value: '0.5', label: '0.5' },
  { value: '0.75', label: '0.75' },
  { value: '1', label: '1 — clearly about it' },
  { value: 'incoherent', label: 'Incoherent' },
];

/** Built-in templates, one per task type. Researchers' own templates use the same shape. */
export const BUILTIN_TEMPLATES: Record<string, TemplateSpec> = {
  'feature-label': {
    id: 'feature-label',
    version: 2,
    title: 'Label a feature',
    description: 'Free-text label, 1–5 interpretability, modality and confidence for one SAE feature.',
    display: [{ type: 'feature', field: 'feature', label: 'Top examples' }],
    questions: [
      {
        id: 'label',
        type: 'text',
        prompt: 'What does this feature respond to?',
        required: true,
        placeholder: 'A short label',
      },
      {
        id: 'interpretability',
        type: 'scale',
        prompt: 'How interpretable is it?',
        min: 1,
        max: 5,
        minLabel: 'not at all',
        maxLabel: 'fully',
        required: true,
      },
      {
        id: 'modality',
        type: 'choice',
        prompt: 'Which modality does it respond to?',
        options: MODALITY_OPTIONS,
        required: true,
      },
      {
        id: 'confidence',
        type: 'choice',
        prompt: 'How confident are you?',
        options: CONFIDENCE_OPTIONS,
        required: false,
      },
    ],
  },
  'feature-detection': {
    id: 'feature-detection',
    version: 1,
    title: 'Does it activate?',
    description:
      'Given a label, pick the examples the feature activates on (activating and non-activating examples mixed; the mix is recorded).',
    display: [
      { type: 'text', field: 'label', label: 'Feature label' },
      { type: 'examples', field: 'examples', orderFrom: 'activating' },
    ],
    questions: [
      {
        id: 'activating',
        type: 'multi',
        prompt: 'Which examples match the label?',
        optionsFromPayload: 'examples',
        shuffle: true,
        required: false,
      },
    ],
  },
  intruder: {
    id: 'intruder',
    version: 1,
    title: 'Find the intruder',
    description: 'Four examples share a feature and one does not; which one?',
    display: [{ type: 'examples', field: 'examples', orderFrom: 'intruder' }],
    questions: [
      {
        id: 'intruder',
        type: 'choice',
        prompt: 'Which example does not belong?',
        optionsFromPayload: 'examples',
        shuffle: true,
        required: true,
      },
    ],
  },
  // The paper's human evaluation: which of four concepts does the (steered) answer relate to?
  'concept-choice': {
    id: 'concept-choice',
    version: 1,
    title: 'Which concept?',
    description:
      'Question + model answer (+ image); options are the source class, the target class and two distractors in a per-rater order.',
    display: [
      { type: 'image', field: 'image', label: 'Image' },
      { type: 'text', field: 'question', label: 'Question' },
      { type: 'text', field: 'answer', label: "Model's answer" },
    ],
    questions: [
      {
        id: 'concept',
        type: 'choice',
        prompt: 'Which concept is the answer about?',
        optionsFromPayload: 'options',
        shuffle: true,
        fixedTail: [{ value: 'none', label: 'None / unintelligible' }],
        required: true,
      },
    ],
  },
  'concept-relatedness': {
    id: 'concept-relatedness',
    version: 1,
    title: 'Relatedness and coherence',
    description:
      'How related one text is to a concept (0, .25, .5, .75, 1 or incoherent), and how coherent it is (Likert).',
    display: [
      { type: 'text', field: 'concept', label: 'Concept' },
      { type: 'text', field: 'answer', label: 'Text' },
    ],
    questions: [
      {
        id: 'relatedness',
        type: 'choice',
        prompt: 'How related is the text to ${concept}?',
        options: RELATEDNESS_OPTIONS,
        required: true,
      },
      {
        id: 'coherence',
        type: 'scale',
        prompt: 'How coherent is the text?',
        min: 1,
        max: 5,
        minLabel: 'gibberish',
        maxLabel: 'fluent',
        required: true,
      },
    ],
  },
  pairwise: {
    id: 'pairwise',
    version: 1,
    title: 'A or B',
    description: 'Two texts side by side (sides counterbalanced per rater); which is better, or a tie.',
    display: [
      { type: 'text', field: 'prompt', label: 'Prompt' },
      { type: 'pair', fields: ['a', 'b'], labels: ['Left', 'Right'] },
    ],
    questions: [
      {
        id: 'preference',
        type: 'choice',
        prompt: '${criterion}',
        options: [
          { value: 'left', label: 'Left is better' },
          { value: 'right', label: 'Right is better' },
          { value: 'tie', label: 'Tie' },
        ],
        required: true,
      },
    ],
  },
};
