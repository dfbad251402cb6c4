import { z } from 'zod';
import { templateSchema } from './templates';

export const campaignSettingsSchema = z
  .object({
    overlap: z.number().int().min(1).max(100).default(3),
    leaseSeconds: z
      .number()
      .int()
      .min(10)
      .max(7 * 24 * 3600)
      .default(900),
    maxItemsPerRater: z.number().int().min(1).nullable().default(null),
    /**
     * Most items one rater may skip; null is unlimited. Left out: 2 on a campaign with a Prolific
     * completion code (the code pays for every item answered but these), unlimited otherwise.
     */
    maxSkipsPerRater: z.number().int().min(0).max(100_000).nullable().optional(),
    orderMode: z.enum(['random', 'fixed']).default('random'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    /** After how many ordinary items a gold or attention item is slipped in. */
    qcEvery: z.number().int().min(1).max(1000).default(8),
    qualification: z
      .object({ passMark: z.number().min(0).max(1) })
      .strict()
      .optional(),
    /**
     * Whom raters should ask when something is wrong (an email address, a name): shown on the page a
     * withdrawn rater link leads to. None: "the person who sent you the link".
     */
    contact: z.string().trim().max(200).optional(),
    prolific: z
      .object({
        completionCode: z.string().min(1).max(100),
        /** Given instead of the completion code to a participant who failed the qualification round or an attention check; none by default. */
        screenOutCode: z.string().min(1).max(100).optional(),
        /**
         * The study's number of places on Prolific. The study link is public, so participant ids can be
         * made up: once this many have finished with the completion code, or twice this many have
         * entered, new participants are told the study is full. None: no bound.
         */
        places: z.number().int().min(1).max(1_000_000).optional(),
      })
      .strict()
      .refine((prolific) => prolific.screenOutCode !== prolific.completionCode, {
        message: 'the screen-out code must differ from the completion code',
        path: ['screenOutCode'],
      })
      .optional(),
  })
  .strict();
export type CampaignSettings = z.infer<typeof campaignSettingsSchema>;

/**
 * What one item field is made of (issue 15: the reference study's CSVs as they are): a column; several
 * columns made into an array (`"options": ["og_class", "target_class", "distractor1", "distractor2"]`,
 * empty cells left out); or a fixed value for every row (`{"const": "Which answer is more coherent?"}`).
 */
export const mappedValueSchema = z.union([
  z.string(),
  z.array(z.string()).min(1).max(1000),
  z.object({ const: z.json() }).strict(),
]);
export type MappedValue = z.infer<typeof mappedValueSchema>;

/**
 * Which columns carry the steering condition, by role rather than by name: they become the hidden
 * fields the results read (strength → k, source → source_class, target → target_class, layer), so
 * `og_class` / `target_class` / `steering_score` give the steering curve with this one mapping.
 */
export const steeringRolesSchema = z
  .object({
    strength: z.string().optional(),
    source: z.string().optional(),
    target: z.string().optional(),
    layer: z.string().optional(),
  })
  .strict();
export type SteeringRoles = z.infer<typeof steeringRolesSchema>;

export const columnMappingSchema = z
  .object({
    payload: z.record(z.string(), mappedValueSchema).optional(),
    hidden: z.record(z.string(), mappedValueSchema).optional(),
    gold: z.record(z.string(), mappedValueSchema).optional(),
    expected: z.record(z.string(), mappedValueSchema).optional(),
    steering: steeringRolesSchema.optional(),
    condition: z.string().optional(),
    kind: z.string().optional(),
  })
  .strict();

export const itemSourceSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('features'), featureIds: z.array(z.number().int().positive()).min(1).max(100_000) })
    .strict(),
  z
    .object({
      kind: z.literal('generations'),
      generationIds: z.array(z.number().int().positive()).optional(),
      /** only these sweeps' generations (ids as `sightline sweep` prints them); with generationIds, either */
      sweeps: z.array(z.string().min(1)).min(1).max(1000).optional(),
    })
    .strict(),
  /** An imported CSV/JSONL file, sent as text (the renderer reads it; the CLI reads it from disk). */
  z
    .object({
      kind: z.literal('file'),
      fileName: z.string().min(1),
      text: z.string().max(64 << 20),
      mapping: columnMappingSchema.optional(),
    })
    .strict(),
]);

export const createCampaignInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    /** A built-in template id, or a researcher's own template. */
    template: z.union([z.string(), templateSchema]),
    instructions: z.string().max(100_000).default(''),
    settings: campaignSettingsSchema.default(campaignSettingsSchema.parse({})),
    source: itemSourceSchema,
  })
  .strict();
export type CreateCampaignInput = z.infer<typeof createCampaignInput>;
