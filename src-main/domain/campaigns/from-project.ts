// Items built from what the project already holds: features (labelling, detection, intruder) and
// generations (concept choice, relatedness, pairwise). The steering spec and the answer key go to
// hidden_json, never to the rater-visible payload.
import type { ExampleView } from '../../contract/types';
import type { NewItem } from '../../store/campaigns';
import { parseJson, type Db } from '../../store/db';
import { getFeature } from '../../store/features';
import { listGenerations, type GenerationRecord } from '../../store/steering';
import { AppError } from '../../util/errors';
import { hashSeed, mulberry32, shuffleInPlace } from '../../util/random';
import { blindExample, scaledExample } from '../templates/blind-examples';

const TOP_EXAMPLES = 5;

/** Rater-facing value of the example at this place in an item's shuffled list: says nothing of its origin. */
const optionValue = (index: number): string => `e${index + 1}`;

/**
 * A feature-label item: the feature's top examples and nothing the template does not display
 * (issue 11: no feature index, database ids or raw activations; see templates/blind-examples.ts).
 * exampleIds (hidden) says which examples were shown, in order.
 */
export function featureLabelExamples(top: ExampleView[]): {
  payload: { feature: { examples: ExampleView[] } };
  exampleIds: number[];
} {
  const shown = top.slice(0, TOP_EXAMPLES);
  return {
    payload: { feature: { examples: shown.map(scaledExample) } },
    exampleIds: shown.map((example) => example.id),
  };
}

export function featureItems(db: Db, templateId: string, featureIds: number[], seed: number): NewItem[] {
  if (featureIds.length === 0) throw new AppError('invalid_input', 'features: expected at least one feature');
  return featureIds.map((featureId, index) => {
    const detail = getFeature(db, featureId);
    const hidden = { feature_id: featureId, sae_id: detail.feature.saeId, feature_index: detail.feature.index };
    const top = detail.examples.filter((example) => example.bucket === 'top');
    if (templateId === 'feature-label') {
      const shown = featureLabelExamples(top);
      return { payload: shown.payload, hidden: { ...hidden, example_ids: shown.exampleIds } };
    }
    // Detection and intruder need examples of another feature as non-activating ones.
    const other = getFeature(db, featureIds[(index + 1) % featureIds.length]);
    const others = other.examples.filter(
      (example) => example.bucket === 'top' && !top.some((mine) => mine.documentId === example.documentId),
    );
    // Detection and intruder items show examples without activations: highlights would give the answer away.
    // No label: the rater sees "Example n" by shown position, after the per-rater shuffle.
    // Nor database ids: a feature's examples were mined together and have close ids (and documents),
    // so the intruder's would stand out. The option value is the example's place in this item's
    // already shuffled list ("e1" …), and hidden.option_examples maps it back to the example.
    // No anyres tiles either: per-patch values there would be a highlight.
    const option = (example: ExampleView, index: number) => ({
      ...blindExample(example, () => 0, false),
      value: optionValue(index),
    });
    const optionExamples = (shuffled: ExampleView[]) =>
      Object.fromEntries(
        shuffled.map((example, index) => [
          optionValue(index),
          { example_id: example.id, document_id: example.documentId },
        ]),
      );
    const optionOf = (shuffled: ExampleView[], example: ExampleView) => optionValue(shuffled.indexOf(example));
    if (templateId === 'feature-detection') {
      const rng = mulberry32(hashSeed(seed, featureId, 'detection'));
      // Mining names quantile buckets q1 (weakest) … qN; one example from the weakest non-empty one
      // checks that a label covers weak activations too, not only the top.
      const quantile = detail.examples
        .filter((example) => /^q\d+$/.test(example.bucket))
        .sort((a, b) => Number(a.bucket.slice(1)) - Number(b.bucket.slice(1)));
      const activating = [...top.slice(0, 3), ...quantile.slice(0, 1)];
      const shuffled = shuffleInPlace([...activating, ...others.slice(0, 2)], rng);
      const mix = shuffled.map(option);
      const activatingIds = activating.map((example) => String(example.id));
      return {
        payload: { label: detail.feature.label ?? `feature ${detail.feature.index}`, examples: mix },
        hidden: {
          ...hidden,
          highlights: false,
          activating_example_ids: activatingIds,
          activating_options: activating.map((example) => optionOf(shuffled, example)),
          option_examples: optionExamples(shuffled),
          mix: {
            activating: activating.length,
            non_activating: mix.length - activating.length,
            activating_buckets: activating.map((example) => example.bucket),
          },
        },
      };
    }
    if (templateId === 'intruder') {
      const intruder = others[0];
      if (!intruder || top.length < 4)
        throw new AppError(
          'invalid_input',
          `feature ${featureId}: needs 4 top examples and another feature's example for an intruder item`,
        );
      const rng = mulberry32(hashSeed(seed, featureId, 'intruder'));
      const shuffled = shuffleInPlace([...top.slice(0, 4), intruder], rng);
      return {
        payload: { examples: shuffled.map(option) },
        hidden: {
          ...hidden,
          intruder_example_id: String(intruder.id),
          intruder_option: optionOf(shuffled, intruder),
          option_examples: optionExamples(shuffled),
        },
      };
    }
    throw new AppError(
      'invalid_input',
      `template ${templateId}: cannot build items from features (use feature-label, feature-detection or intruder)`,
    );
  });
}

type GenerationRow = GenerationRecord;

interface GenerationMeta {
  source_class?: string;
  target_class?: string;
  distractors?: string[];
  /** null for a sweep's ablation, which has no k */
  k?: number | null;
  layer?: number;
  /** a sweep's steering method and strength (KL in nats at the first generated token) */
  method?: string;
  kl?: number;
  /** `sweep --images`: the image the answer is about */
  image?: { document?: string };
}

export function generationItems(db: Db, templateId: string, generationIds: number[] | null): NewItem[] {
  const rows = listGenerations(db, generationIds);
  if (rows.length === 0) throw new AppError('invalid_input', 'generations: the project has none to rate');
  const metaOf = (row: GenerationRow) => parseJson<GenerationMeta>(row.meta_json, 'generations.meta_json');
  const hiddenOf = (row: GenerationRow, meta: GenerationMeta) => ({
    generation_id: row.id,
    steering_spec_id: row.steering_spec_id,
    source_class: meta.source_class,
    target_class: meta.target_class,
    correct: meta.target_class,
    k: meta.k,
    layer: meta.layer,
    method: meta.method,
    kl: meta.kl,
  });
  // A sweep's ablation has no k: its condition is the method.
  const condition = (meta: GenerationMeta) =>
    meta.k === undefined ? null : meta.k === null ? (meta.method ?? null) : `k=${meta.k}`;
  if (templateId === 'concept-choice') {
    return rows.map((row) => {
      const meta = metaOf(row);
      // A set: an image of the target class itself is a row too, and its options are each shown once.
      const options = [...new Set([meta.source_class, meta.target_class, ...(meta.distractors ?? [])])]
        .filter((value): value is string => !!value)
        .sort();
      if (options.length < 2)
        throw new AppError(
          'invalid_input',
          `generation ${row.id}: meta_json: expected source_class, target_class and distractors`,
        );
      return {
        payload: { question: row.prompt, answer: row.output_text, image: row.media_sha256 ?? undefined, options },
        hidden: hiddenOf(row, meta),
        condition: condition(meta),
      };
    });
  }
  if (templateId === 'concept-relatedness') {
    return rows.map((row) => {
      const meta = metaOf(row);
      return {
        payload: { concept: meta.target_class ?? '', answer: row.output_text },
        hidden: hiddenOf(row, meta),
        condition: condition(meta),
      };
    });
  }
  if (templateId === 'pairwise') {
    // Steered vs default: each steered answer against the k=0 answer for the same class pair (an
    // additive k = 0 only: a clamp or cap at 0 is itself a steer), and for the same image when the
    // sweep had images (many images share a class pair).
    const isDefault = (meta: GenerationMeta) => meta.k === 0 && (meta.method === undefined || meta.method === 'add');
    const pairOf = (meta: GenerationMeta) => `${meta.source_class}|${meta.target_class}|${meta.image?.document ?? ''}`;
    const byPair = new Map<string, GenerationRow>();
    for (const row of rows) {
      const meta = metaOf(row);
      if (isDefault(meta)) byPair.set(pairOf(meta), row);
    }
    return rows.flatMap((row) => {
      const meta = metaOf(row);
      const base = byPair.get(pairOf(meta));
      if (!base || isDefault(meta)) return [];
      return [
        {
          payload: {
            prompt: row.prompt,
            a: base.output_text,
            b: row.output_text,
            criterion: 'Which answer is more coherent?',
          },
          hidden: { ...hiddenOf(row, meta), a: 'k=0', b: `k=${meta.k}` },
          condition: condition(meta),
        },
      ];
    });
  }
  throw new AppError(
    'invalid_input',
    `template ${templateId}: cannot build items from generations (use concept-choice, concept-relatedness or pairwise)`,
  );
}
