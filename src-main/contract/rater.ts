import { z } from 'zod';
import { method, returns } from './define';
import type { RaterItem, RaterNext, RaterProgress, RaterSession } from './types';

const assignmentId = z.number().int().positive();
const answerValue = z.union([z.string().max(10_000), z.number().finite(), z.array(z.string().max(200)).max(50), z.null()]);

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
    summary: "The rater's current item and the one after it (prefetch); leases them. No items and a waiting reason: paused, closed or all leased to others for now",
    input: z.object({ count: z.number().int().min(1).max(3).default(2) }).strict(),
    output: returns<RaterNext>(),
  }),
  'rater.submit': method({
    role: 'rater',
    summary: 'Stores a judgement durably before returning',
    input: z
      .object({
        assignmentId,
        answer: z.record(z.string().max(100), answerValue),
        activeMs: z.number().int().min(0).max(24 * 3600 * 1000),
      })
      .strict(),
    output: returns<{ judgementId: number; progress: RaterProgress }>(),
  }),
  'rater.undo': method({
    role: 'rater',
    summary: "Supersedes the rater's last submission and hands that item back",
    input: z.object({}).strict(),
    output: returns<{ item: RaterItem | null; progress: RaterProgress }>(),
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
    input: z.object({ assignmentId, comment: z.string().max(2000).default('') }).strict(),
    output: returns<{ flagged: true }>(),
  }),
};
