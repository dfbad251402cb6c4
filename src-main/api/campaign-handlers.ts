import path from 'node:path';
import type { campaignMethods } from '../contract/campaigns';
import type { CampaignSummary, RaterLink } from '../contract/types';
import { exportJsonl } from '../domain/export-jsonl';
import { campaignCounts, getCampaign, listCampaigns } from '../store/campaigns';
import type { Db } from '../store/db';
import { insertRater, listRaters, type RaterRecord } from '../store/raters';
import type { HandlersFor } from './handlers';

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
  };
}

export const campaignHandlers: HandlersFor<typeof campaignMethods> = {
  'campaigns.list': (_input, { project }) => listCampaigns(project.db).map((campaign) => campaignSummary(project.db, campaign.id)),
  'raters.add': (input, { project }) => {
    const campaign = getCampaign(project.db, input.campaignId);
    return toRaterLink(insertRater(project.db, campaign.id, input.name, campaign.seed), 0);
  },
  'raters.list': (input, { project }) => listRaters(project.db, getCampaign(project.db, input.campaignId).id).map((rater) => toRaterLink(rater, rater.submitted)),
  'campaigns.export': (input, { project }) => {
    const campaign = getCampaign(project.db, input.campaignId);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const safeName = campaign.name.replace(/[^A-Za-z0-9_-]+/g, '_');
    return exportJsonl(project.db, campaign.id, path.join(project.exportsDir, `${safeName}-${stamp}.jsonl`));
  },
};
