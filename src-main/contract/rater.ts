import { z } from 'zod';
import { method, returns } from './define';
import { MAX_QUESTIONS } from './templates';
import type { Answer, RaterItem, RaterNext, RaterProgress, RaterSession } from './types';

// The bounds of everything a rater may send. The HTTP server's rater body limit is derived from them
// (rater-limits.ts), so a change here moves that limit with it. Lengths count UTF-16 code units, as zod's .max does.
export const MAX_ANSWER_KEY_LENGTH = 100;
export const MAX_TEXT_ANSWER_LENGTH = 10_000;
export const MAX_LIST_ANSWER_ENTRIES = 50;
export const MAX_LIST_ANSWER_ENTRY_LENGTH = 200;
export const MAX_ACTIVE_MS = 24 * 3600 * 1000;
export const MAX_FLAG_COMMENT_LENGTH = 2000;
export const MAX_NEXT_COUNT = 3;

const assignmentId = z.number().int().positive();
const answerValue = z.union([
  z.string().max(MAX_TEXT_ANSWER_LENGTH),
  z.number().finite(),
  z.array(z.string().max(MAX_LIST_ANSWER_ENTRY_LENGTH)).max(MAX_LIST_ANSWER_ENTRIES),
  z.null(),
]);

// Every rater method acts on the caller's own assignments: the rater comes from the token, never from input.
export const raterMethods = {
  'rater.session': method({
    role: 'rater',
    summary: "The rater's campaign, instructions and progress",
    input: z.object({}).strict(),
    output: returns<RaterSession>(),
  }),
  'rater.next': method({
    role: 'rater',
    summary:
      "The rater's current item and the one after it (prefetch); leases them. No items and a waiting reason: paused, closed or all leased to others for now",
    input: z.object({ count: z.number().int().min(1).max(MAX_NEXT_COUNT).default(2) }).strict(),
    output: returns<RaterNext>(),
  }),
  'rater.submit': method({
    role: 'rater',
    summary:
      'Stores a judgement durably before returning; with prefetch n, also what rater.next with count n would give, in the same commit',
    input: z
      .object({
        assignmentId,
        // One answer per question: a judgement never holds more answers than a template has questions.
        answer: z
          .record(z.string().max(MAX_ANSWER_KEY_LENGTH), answerValue)
          .refine(
            (answer) => Object.keys(answer).length <= MAX_QUESTIONS,
            `expected at most ${MAX_QUESTIONS} answers, one per question`,
          ),
        activeMs: z.number().int().min(0).max(MAX_ACTIVE_MS),
        // The rater page's next items ride on the submit's answer: one call and one disk sync per
        // judgement instead of two, and no prefetch call for the next submit to queue behind.
        prefetch: z.number().int().min(0).max(MAX_NEXT_COUNT).optional(),
      })
      .strict(),
    output: returns<{ judgementId: number; progress: RaterProgress; next?: RaterNext }>(),
  }),
  'rater.undo': method({
    role: 'rater',
    summary: "Supersedes the rater's last submission and hands that item back, with the answer it took back",
    input: z.object({}).strict(),
    output: returns<{ item: RaterItem | null; previousAnswer: Answer | null; progress: RaterProgress }>(),
  }),
  'rater.skip': method({
    role: 'rater',
    summary: 'Skips an item; it goes to another rater',
    input: z.object({ assignmentId }).strict(),
    output: returns<{ progress: RaterProgress }>(),
  }),
  'rater.flag': method({
    role: 'rater',
    summary: 'Flags an item for the researcher to review',
    input: z.object({ assignmentId, comment: z.string().max(MAX_FLAG_COMMENT_LENGTH).default('') }).strict(),
    output: returns<{ flagged: true }>(),
  }),
};
