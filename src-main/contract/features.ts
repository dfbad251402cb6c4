import { z } from 'zod';
import { method, returns } from './define';
import type { AcceptedFeatureLabel, FeatureDetail, FeatureListRow, ModalityLayerRow } from './types';

export const featureSort = z.enum(['index', 'density', 'max', 'image_share']);

export const featureMethods = {
  'features.list': method({
    role: 'researcher',
    summary: 'A page of features of one SAE, sorted and filtered',
    input: z
      .object({
        saeId: z.number().int().positive().optional(),
        sort: featureSort.default('index'),
        descending: z.boolean().default(false),
        modality: z.enum(['image', 'text', 'shared', 'dead']).optional(),
        labelled: z.boolean().optional(),
        search: z.string().max(200).optional(),
        minDensity: z.number().min(0).max(1).optional(),
        maxDensity: z.number().min(0).max(1).optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    output: returns<{ total: number; rows: FeatureListRow[] }>(),
  }),
  'features.get': method({
    role: 'researcher',
    summary: 'One feature with its histogram and examples, by row id or by SAE name and feature index',
    // The address people share is SAE name + index (what the CLI and the page URL use); the row id
    // stays accepted for links made before feature URLs carried the SAE (issue 15).
    // One object with a check rather than a union, so a wrong call is told what to send.
    input: z
      .object({
        featureId: z.number().int().positive().optional(),
        sae: z.string().min(1).max(200).optional(),
        index: z.number().int().min(0).optional(),
      })
      .strict()
      .refine(
        ({ featureId, sae, index }) =>
          featureId !== undefined ? sae === undefined && index === undefined : sae !== undefined && index !== undefined,
        { message: 'expected either featureId, or sae (the SAE name) and index (the feature index)' },
      ),
    output: returns<FeatureDetail>(),
  }),
  'features.labels': method({
    role: 'researcher',
    summary:
      'The label (null when none) of each of these features, by id: the campaign builder warns about unlabelled features before a detection campaign',
    input: z.object({ featureIds: z.array(z.number().int().positive()).max(100_000) }).strict(),
    output: returns<{ id: number; index: number; label: string | null }[]>(),
  }),
  'features.acceptLabel': method({
    role: 'researcher',
    summary:
      "Stores a label (typically a rater's, from a labelling campaign's results) as the feature's label, with who accepted it and when",
    input: z
      .object({
        featureId: z.number().int().positive(),
        label: z.string().trim().min(1).max(500),
        acceptedBy: z.string().trim().min(1).max(100),
        campaignId: z.number().int().positive().optional(),
      })
      .strict(),
    output: returns<AcceptedFeatureLabel>(),
  }),
  'features.modalityByLayer': method({
    role: 'researcher',
    summary:
      'Per SAE (name, layer, d_sae): image-only / text-only / shared / dead feature counts and the sharing fraction',
    input: z.object({}).strict(),
    output: returns<ModalityLayerRow[]>(),
  }),
};
