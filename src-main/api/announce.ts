import { campaignCounts, getCampaign } from '../store/campaigns';
import type { ApiContext } from './context';

const pending = new Set<string>();

/**
 * Tells every client a campaign's progress changed. Deferred to after the current request and
 * coalesced per campaign: a burst of submits costs one count, and a rater's submit never waits
 * for the researcher's progress bar.
 */
export function announceProgress(context: Pick<ApiContext, 'project' | 'events'>, campaignId: number): void {
  const key = `${context.project.dir}#${campaignId}`;
  if (pending.has(key)) return;
  pending.add(key);
  setImmediate(() => {
    pending.delete(key);
    try {
      const counts = campaignCounts(context.project.db, campaignId);
      const target = counts.itemCount * getCampaign(context.project.db, campaignId).overlap;
      context.events.emit('campaign.progress', { campaignId, submitted: counts.submitted, target });
    } catch {
      // The project may have been closed in the meantime (e.g. the CLI finished); nothing to tell.
    }
  });
}
