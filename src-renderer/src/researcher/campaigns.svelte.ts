// Campaign list with live progress: loaded once, then kept current by 'campaign.progress' events
// (pushed over IPC or server-sent events), never by polling.
import type { CampaignProgressEvent, CampaignSummary } from '../../../src-main/contract';
import { call, errorText, onEvent } from '../lib/client';

export class CampaignList {
  campaigns = $state<CampaignSummary[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);

  async load(): Promise<void> {
    try {
      this.campaigns = await call('campaigns.list', {});
      this.error = null;
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.loaded = true;
    }
  }

  applyProgress(event: CampaignProgressEvent): void {
    const campaign = this.campaigns.find((candidate) => candidate.id === event.campaignId);
    if (campaign) {
      campaign.submitted = event.submitted;
      campaign.target = event.target;
    } else {
      // A campaign created elsewhere (e.g. by the CLI): fetch the list once to learn it.
      void this.load();
    }
  }

  /** Loads and subscribes; returns the unsubscribe function. */
  start(): () => void {
    void this.load();
    return onEvent('campaign.progress', (event) => this.applyProgress(event));
  }
}
