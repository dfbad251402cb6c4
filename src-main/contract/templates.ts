import { z } from 'zod';

// A template is data: a JSON question schema. Researchers write their own in the same shape, and
// `parseTemplate` checks them with errors that name the field.

const id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lower-case identifier (letters, digits, _)');
const optionSpec = z.object({ value: z.string().min(1).max(200), label: z.string().min(1).max(500) }).strict();
/** Single keys a template may bind to options; digits are bound by position when none are given. */
const keyName = z.string().regex(/^[a-z0-9]$/, 'expected one lower-case letter or digit');

const choiceLike = {
  id,
  prompt: z.string().max(2000),
  options: z.array(optionSpec).min(1).max(20).optional(),
  /** The payload field (an array of strings, or of {value,label}) that holds this item's options. */
  optionsFromPayload: z.string().optional(),
  /** Shuffle per rater (counterbalanced, the seed recorded). */
  shuffle: z.boolean().optional(),
  /** Options that always come last, after any shuffle (e.g. "None / unintelligible"). */
  fixedTail: z.array(optionSpec).optional(),
  keys: z.array(keyName).optional(),
  required: z.boolean().optional(),
};

export const questionSchema = z.discriminatedUnion('type', [
  z.object({ ...choiceLike, type: z.literal('choice') }).strict(),
  z.object({ ...choiceLike, type: z.literal('multi') }).strict(),
  z
    .object({
      id,
      type: z.literal('scale'),
      prompt: z.string().max(2000),
      min: z.number().int(),
      max: z.number().int(),
      minLabel: z.string().optional(),
      maxLabel: z.string().optional(),
      required: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      id,
      type: z.literal('text'),
      prompt: z.string().max(2000),
      placeholder: z.string().optional(),
      required: z.boolean().optional(),
    })
    .strict(),
]);

export const displaySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), field: z.string(), label: z.string().optional() }).strict(),
  z.object({ type: z.literal('image'), field: z.string(), label: z.string().optional() }).strict(),
  z.object({ type: z.literal('feature'), field: z.string(), label: z.string().optional() }).strict(),
  /** Examples shown in the order of a question's options (intruder, detection). */
  z
    .object({
      type: z.literal('examples'),
      field: z.string(),
      orderFrom: z.string().optional(),
      label: z.string().optional(),
    })
    .strict(),
  /** Two texts side by side; which goes left is counterbalanced per rater and recorded. */
  z
    .object({
      type: z.literal('pair'),
      fields: z.tuple([z.string(), z.string()]),
      labels: z.tuple([z.string(), z.string()]).optional(),
    })
    .strict(),
]);

/** The most questions a template may ask, so the most answers one judgement can hold. */
export const MAX_QUESTIONS = 20;

export const templateSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case id (letters, digits, -)'),
    version: z.number().int().min(1),
    title: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    display: z.array(displaySchema),
    questions: z.array(questionSchema).min(1).max(MAX_QUESTIONS),
  })
  .strict();

export type OptionSpec = z.infer<typeof optionSpec>;
export type QuestionSpec = z.infer<typeof questionSchema>;
export type DisplaySpec = z.infer<typeof displaySchema>;
export type TemplateSpec = z.infer<typeof templateSchema>;

/** Keys the rater workspace reserves for itself. */
export const RESERVED_KEYS = ['s', 'f', '?'] as const;
