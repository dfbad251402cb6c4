import { z } from 'zod';
import { method, returns } from './define';
import { createCampaignInput, columnMappingSchema } from './campaign-create';
import { templateSchema, type TemplateSpec } from './templates';
import type { CampaignMonitor, CampaignRetired, CampaignSummary, RaterLink } from './types';

const campaignId = z.number().int().positive();

export const campaignMethods = {
  'campaigns.list': method({
    role: 'researcher',
    summary: 'Every live campaign with its progress (archived ones too with includeArchived)',
    input: z.object({ includeArchived: z.boolean().optional() }).strict(),
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
  'templates.list': method({
    role: 'researcher',
    summary: "Built-in templates and the researchers' own",
    input: z.object({}).strict(),
    output: returns<{ template: TemplateSpec; builtin: boolean }[]>(),
  }),
  'templates.save': method({
    role: 'researcher',
    summary: 'Validates (schema and key map) and saves a template',
    input: z.object({ template: templateSchema }).strict(),
    output: returns<{ id: string; version: number }>(),
  }),
  'campaigns.previewImport': method({
    role: 'researcher',
    summary: 'Parses an item file (CSV or JSONL) and proposes a column mapping',
    input: z
      .object({
        fileName: z.string().min(1),
        text: z.string().max(64 << 20),
        mapping: columnMappingSchema.optional(),
        templateId: z.string().optional(),
      })
      .strict(),
    output: returns<{
      columns: string[];
      rowCount: number;
      sample: Record<string, unknown>[];
      mapping: z.infer<typeof columnMappingSchema>;
      problem: string | null;
    }>(),
  }),
  'campaigns.create': method({
    role: 'researcher',
    summary: 'Creates a campaign from features, generations or an imported file',
    input: createCampaignInput,
    output: returns<{ campaignId: number; items: number }>(),
  }),
  'campaigns.setStatus': method({
    role: 'researcher',
    summary: 'Pauses, resumes or closes a campaign',
    input: z.object({ campaignId, status: z.enum(['open', 'paused', 'closed']) }).strict(),
    output: returns<CampaignSummary>(),
  }),
  'campaigns.setInstructions': method({
    role: 'researcher',
    summary:
      "Replaces a campaign's instructions (markdown) and bumps their version; each judgement records the version it was given under",
    input: z.object({ campaignId, instructions: z.string().max(100_000) }).strict(),
    output: returns<{ instructionsVersion: number }>(),
  }),
  'campaigns.monitor': method({
    role: 'researcher',
    summary: 'Per-rater progress, quality control, flags, leases and balance',
    input: z.object({ campaignId }).strict(),
    output: returns<CampaignMonitor>(),
  }),
  'raters.revoke': method({
    role: 'researcher',
    summary: "Revokes a rater's token and releases their open leases",
    input: z.object({ raterId: z.number().int().positive() }).strict(),
    output: returns<{ revoked: true }>(),
  }),
  'campaigns.archive': method({
    role: 'researcher',
    summary:
      'Archives a campaign: closed to raters, hidden from the list, renamed "<name> (archived #<id>)" so its name is free; judgements are kept',
    input: z.object({ campaignId }).strict(),
    output: returns<CampaignRetired>(),
  }),
  'campaigns.delete': method({
    role: 'researcher',
    summary:
      'Deletes a campaign no rater has submitted to. With judgements it refuses (conflict) unless force, which writes a JSONL export to exports/ and archives it: judgements are append-only and never deleted',
    input: z.object({ campaignId, force: z.boolean().optional() }).strict(),
    output: returns<CampaignRetired>(),
  }),
  // campaigns.export lives with the results and jobs methods (results.ts): it runs as a job.
};
