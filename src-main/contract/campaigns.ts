import { z } from 'zod';
import { method, returns } from './define';
import type { CampaignSummary, RaterLink } from './types';

const campaignId = z.number().int().positive();

export const campaignMethods = {
  'campaigns.list': method({
    role: 'researcher',
    summary: 'Every campaign with its progress',
    input: z.object({}).strict(),
    output: returns<CampaignSummary[]>(),
  }),
  'raters.add': method({
    role: 'researcher',
    summary: 'Registers a rater on a campaign and returns their link',
    input: z.object({ campaignId, name: z.string().trim().min(1).max(100) }).strict(),
    output: returns<RaterLink>(),
  }),
  'raters.list': method({
    role: 'researcher',
    summary: 'The raters of a campaign with their links and progress',
    input: z.object({ campaignId }).strict(),
    output: returns<RaterLink[]>(),
  }),
  'campaigns.export': method({
    role: 'researcher',
    summary: "Writes a campaign's judgements to the project's exports/ folder",
    input: z.object({ campaignId, format: z.enum(['jsonl']) }).strict(),
    output: returns<{ path: string; rows: number }>(),
  }),
};
