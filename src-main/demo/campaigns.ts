// The demo's two campaigns: raters label features from their top examples, and say which of four
// concepts a steered answer is about (the paper's human evaluation). Payloads carry only what a
// rater may see; conditions (k, layer, the target class) go in hidden_json.
import type { Db } from '../store/db';
import { insertCampaign } from '../store/campaigns';
import { getFeature } from '../store/features';
import { BUILTIN_TEMPLATES } from '../domain/templates';
import { featureLabelExamples } from '../domain/campaigns/from-project';
import type { Variant } from './layers';
import type { MinedFeature, MinedLayer } from './mining';
import type { DemoGeneration } from './steering';

export const LABEL_CAMPAIGN = 'Label features';
export const CONCEPT_CAMPAIGN = 'Which concept?';

/**
 * A mix to label, by planted concept: shared colour, shape and texture features of layer 20,
 * image-only (position, outlines, a polysemantic one) and text-only ones, and layer 5's red, which
 * is still split into an image feature and a text feature.
 */
const FEATURES_TO_LABEL: { layer: number; concept: string; variant: Variant }[] = [
  { layer: 20, concept: 'red', variant: 'shared' },
  { layer: 20, concept: 'circle', variant: 'shared' },
  { layer: 20, concept: 'stripes', variant: 'shared' },
  { layer: 20, concept: 'cool', variant: 'shared' },
  { layer: 20, concept: 'top-left', variant: 'image' },
  { layer: 20, concept: 'outline', variant: 'image' },
  { layer: 20, concept: 'triangle-or-checker', variant: 'image' },
  { layer: 20, concept: 'plural', variant: 'text' },
  { layer: 20, concept: 'animal', variant: 'text' },
  { layer: 20, concept: 'number', variant: 'text' },
  { layer: 5, concept: 'red', variant: 'image' },
  { layer: 5, concept: 'red', variant: 'text' },
];

const LABEL_INSTRUCTIONS = `You will see one feature of a sparse autoencoder at a time, through its strongest examples.

- Image examples are shaded by how strongly each patch activates the feature.
- Text examples highlight the tokens the feature fires on.

For each feature:
1. Write a short label for what it responds to (for example "red objects" or "plural nouns").
2. Rate how interpretable it is, from 1 (no pattern) to 5 (one clear concept).
3. Say whether it responds to images, text, both, or neither.

Judge only from the examples shown. There are no trick items in this campaign.`;

const CONCEPT_INSTRUCTIONS = `You will see an image, what the model was told about it, and the model's answer.

Choose the concept the answer is about. The answer may not match the image: judge the answer's text, not the picture.
If the answer is about none of the options, or cannot be read, choose "None / unintelligible".`;

export function insertDemoCampaigns(
  db: Db,
  layers: MinedLayer[],
  generations: DemoGeneration[],
): { labelCampaignId: number; conceptCampaignId: number } {
  const features = layers.flatMap((layer) => layer.features);
  const labelItems = FEATURES_TO_LABEL.map(({ layer, concept, variant }) =>
    features.find(
      (feature) => feature.layer === layer && feature.unit.concept.key === concept && feature.unit.variant === variant,
    ),
  )
    .filter((feature): feature is MinedFeature => feature !== undefined && feature.fireCount > 0)
    .map((feature) => {
      const shown = featureLabelExamples(
        getFeature(db, feature.id).examples.filter((example) => example.bucket === 'top'),
      );
      return {
        payload: shown.payload,
        hidden: {
          feature_id: feature.id,
          feature_index: feature.index,
          example_ids: shown.exampleIds,
          sae: feature.saeName,
          layer: feature.layer,
          planted: feature.unit.concept.planted,
        },
      };
    });
  const labelCampaignId = insertCampaign(
    db,
    {
      name: LABEL_CAMPAIGN,
      template: BUILTIN_TEMPLATES['feature-label'],
      instructions: LABEL_INSTRUCTIONS,
      overlap: 2,
      leaseSeconds: 600,
      seed: 1,
    },
    labelItems,
  );

  const conceptItems = generations.map((generation) => ({
    payload: {
      question: generation.prompt,
      answer: generation.outputText,
      image: generation.mediaSha256,
      // Canonical order only; each rater sees a seeded shuffle, recorded with the assignment.
      options: [generation.sourceClass, generation.targetClass, ...generation.distractors].sort(),
    },
    hidden: {
      source_class: generation.sourceClass,
      target_class: generation.targetClass,
      correct: generation.targetClass,
      k: generation.k,
      layer: generation.layer,
      generation_id: generation.id,
    },
    condition: `k=${generation.k}`,
  }));
  const conceptCampaignId = insertCampaign(
    db,
    {
      name: CONCEPT_CAMPAIGN,
      template: BUILTIN_TEMPLATES['concept-choice'],
      instructions: CONCEPT_INSTRUCTIONS,
      overlap: 3,
      leaseSeconds: 600,
      seed: 2,
    },
    conceptItems,
  );
  return { labelCampaignId, conceptCampaignId };
}
