import type { campaignMethods } from '../contract/campaigns';
import type { CampaignSummary, RaterLink } from '../contract/types';
import { createCampaign, resolveTemplate } from '../domain/campaigns/create';
import { defaultMapping, rowsToItems } from '../domain/campaigns/mapping';
import { parseRows } from '../domain/campaigns/read-rows';
import { archiveCampaign, deleteCampaign } from './campaign-retire';
import { entryPath } from '../domain/entry';
import { campaignMonitor } from '../domain/monitor';
import { BUILTIN_TEMPLATES, parseTemplate } from '../domain/templates';
import { releaseLeases } from '../store/monitor';
import { setRaterStatus } from '../store/quality';
import { AppError } from '../util/errors';
import {
  campaignCounts,
  getCampaign,
  listCampaigns,
  replaceCampaignInstructions,
  setCampaignStatus,
} from '../store/campaigns';
import type { Db } from '../store/db';
import { insertRater, listRaters, raterCampaignId, type RaterRecord } from '../store/raters';
import { listSavedTemplateJson, saveTemplate } from '../store/templates';
import { announceProgress } from './announce';
import type { HandlersFor } from './handlers';
import { leaseExpiries } from './lease-expiry';

export const raterLinkPath = (token: string): string => `/rate?token=${encodeURIComponent(token)}`;

export const toRaterLink = (rater: RaterRecord, submitted: number): RaterLink => ({
  id: rater.id,
  name: rater.name,
  pseudonym: rater.pseudonym,
  status: rater.status,
  submitted,
  link: raterLinkPath(rater.token),
  token: rater.token,
});

const prolificEntryKey = (campaign: { settings: Record<string, unknown> }): string | undefined =>
  (campaign.settings.prolific as { entryKey?: string } | undefined)?.entryKey;

export function campaignSummary(db: Db, campaignId: number): CampaignSummary {
  const campaign = getCampaign(db, campaignId);
  const counts = campaignCounts(db, campaignId);
  return {
    id: campaign.id,
    name: campaign.name,
    templateId: campaign.templateId,
    templateTitle: campaign.template.title,
    status: campaign.status,
    overlap: campaign.overlap,
    ...counts,
    target: counts.itemCount * campaign.overlap,
    entryPath: prolificEntryKey(campaign) ? entryPath(prolificEntryKey(campaign)!) : null,
    archivedAt: campaign.archivedAt,
  };
}

export const campaignHandlers: HandlersFor<typeof campaignMethods> = {
  'campaigns.list': (input, { project }) =>
    listCampaigns(project.db, { includeArchived: input.includeArchived }).map((campaign) =>
      campaignSummary(project.db, campaign.id),
    ),
  'campaigns.archive': (input, context) => {
    const retired = archiveCampaign(context.project, input.campaignId);
    announceProgress(context, input.campaignId);
    return retired;
  },
  'campaigns.delete': async (input, context) => {
    const retired = await deleteCampaign(context.project, input.campaignId, input.force ?? false);
    if (retired.outcome === 'archived') announceProgress(context, input.campaignId);
    return retired;
  },
  'raters.add': (input, { project }) => {
    const campaign = getCampaign(project.db, input.campaignId);
    return toRaterLink(insertRater(project.db, campaign.id, input.name, campaign.seed), 0);
  },
  'raters.list': (input, { project }) =>
    listRaters(project.db, getCampaign(project.db, input.campaignId).id).map((rater) =>
      toRaterLink(rater, rater.submitted),
    ),
  'templates.list': (_input, { project }) => {
    const saved = listSavedTemplateJson(project.db);
    return [
      ...Object.values(BUILTIN_TEMPLATES).map((template) => ({ template, builtin: true })),
      ...saved.map((json) => ({ template: parseTemplate(json, 'project.sqlite templates'), builtin: false })),
    ];
  },
  'templates.save': (input, { project }) => {
    const template = parseTemplate(input.template, `template ${input.template.id}`);
    if (BUILTIN_TEMPLATES[template.id])
      throw new AppError('conflict', `template ${template.id}: a built-in template has this id; choose another`);
    saveTemplate(project.db, template);
    return { id: template.id, version: template.version };
  },
  'campaigns.previewImport': (input, { project }) => {
    const rows = parseRows(new TextEncoder().encode(input.text), input.fileName);
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    const mapping = input.mapping ?? defaultMapping(columns);
    let problem: string | null = null;
    if (input.templateId) {
      try {
        rowsToItems(rows, resolveTemplate(project.db, input.templateId), input.fileName, mapping);
      } catch (error) {
        problem = (error as Error).message;
      }
    }
    return { columns, rowCount: rows.length, sample: rows.slice(0, 5), mapping, problem };
  },
  'campaigns.create': (input, context) => {
    const created = createCampaign(context.project.db, input);
    announceProgress(context, created.campaignId);
    return created;
  },
  'campaigns.setStatus': (input, context) => {
    const campaign = getCampaign(context.project.db, input.campaignId);
    // An archived campaign stays closed: reopening it would hand out work nobody sees in the list.
    if (campaign.archivedAt !== null)
      throw new AppError('conflict', `campaign "${campaign.name}": archived; it stays closed`);
    setCampaignStatus(context.project.db, getCampaign(context.project.db, input.campaignId).id, input.status);
    announceProgress(context, input.campaignId);
    return campaignSummary(context.project.db, input.campaignId);
  },
  'campaigns.setInstructions': (input, { project }) => {
    const campaign = getCampaign(project.db, input.campaignId);
    if (campaign.instructions === input.instructions) return { instructionsVersion: campaign.instructionsVersion };
    replaceCampaignInstructions(project.db, campaign.id, input.instructions);
    return { instructionsVersion: campaign.instructionsVersion + 1 };
  },
  'campaigns.monitor': (input, { project }) =>
    campaignMonitor(project.db, input.campaignId, campaignSummary(project.db, input.campaignId), project.clock.now()),
  'raters.revoke': (input, context) => {
    const { db } = context.project;
    const campaignId = raterCampaignId(db, input.raterId);
    if (campaignId === undefined) throw new AppError('not_found', `rater ${input.raterId}: no such rater`);
    const now = context.project.clock.now();
    db.transaction(() => {
      setRaterStatus(db, input.raterId, 'revoked');
      releaseLeases(db, input.raterId, now);
    })();
    // Their leases ended now: the lease timer announces them as expired straight away.
    leaseExpiries(context).armBy(now);
    announceProgress(context, campaignId);
    return { revoked: true as const };
  },
};
