// Issue 15: mistaken campaigns must not pile up and hold their names. Archive closes a campaign to
// raters, hides it from the lists and frees its name; delete removes one no rater has submitted to.
// Judgements are append-only (triggers refuse DELETE, and they reference assignments without a
// cascade), so a campaign with judgements is never deleted: delete --force writes a JSONL export
// into the project's exports/ first and then archives it, which keeps every judgement on record.
import type { CampaignRetired } from '../contract/types';
import { exportCampaign } from '../export';
import { exportPathFor } from '../export/export-path';
import type { Project } from '../project/project';
import {
  archiveCampaignRow,
  campaignRaterRecords,
  deleteCampaignRow,
  getCampaign,
  setCampaignStatus,
} from '../store/campaigns';
import { AppError } from '../util/errors';

type RetireOutcome = CampaignRetired;

/** The name an archived campaign takes, leaving its own free; the id keeps it unique. */
export const archivedNameOf = (name: string, campaignId: number): string => `${name} (archived #${campaignId})`;

export function archiveCampaign(project: Project, campaignId: number): RetireOutcome {
  const campaign = getCampaign(project.db, campaignId);
  if (campaign.archivedAt !== null) throw new AppError('conflict', `campaign "${campaign.name}": already archived`);
  const archivedName = archivedNameOf(campaign.name, campaign.id);
  archiveCampaignRow(project.db, campaign.id, archivedName, project.clock.now());
  return { outcome: 'archived', archivedName, exportPath: null };
}

/**
 * Deletes a campaign no rater has submitted to. With judgements or flags it refuses, unless force:
 * then it exports the judgements (JSONL, with provenance) and archives the campaign instead.
 */
export async function deleteCampaign(project: Project, campaignId: number, force: boolean): Promise<RetireOutcome> {
  const { db } = project;
  const campaign = getCampaign(db, campaignId);
  const records = campaignRaterRecords(db, campaign.id);
  if (records.judgements === 0 && records.flags === 0) {
    db.transaction(() => {
      // Checked again inside the write: a rater may have submitted since.
      const now = campaignRaterRecords(db, campaign.id);
      if (now.judgements > 0 || now.flags > 0)
        throw new AppError('conflict', `campaign "${campaign.name}": a rater has just submitted; try again`);
      deleteCampaignRow(db, campaign.id);
    })();
    return { outcome: 'deleted', archivedName: null, exportPath: null };
  }
  const held = `${records.judgements} judgement(s)${records.flags ? ` and ${records.flags} flag(s)` : ''}`;
  if (!force) {
    throw new AppError(
      'conflict',
      `campaign "${campaign.name}": has ${held}, which are never deleted; archive it instead, or delete with --force to export them to exports/ and archive it`,
    );
  }
  if (campaign.archivedAt !== null)
    throw new AppError('conflict', `campaign "${campaign.name}": already archived; its judgements stay on record`);
  // Closed first, so that no new rater work starts while the export runs.
  setCampaignStatus(db, campaign.id, 'closed');
  const exported = await exportCampaign(db, campaign.id, {
    format: 'jsonl',
    out: exportPathFor(project.exportsDir, campaign.name, 'jsonl'),
  });
  const archived = archiveCampaign(project, campaign.id);
  return { ...archived, exportPath: exported.path };
}
