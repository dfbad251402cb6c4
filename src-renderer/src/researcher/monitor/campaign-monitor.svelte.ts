// One campaign's monitor: loaded once, then re-fetched when a 'campaign.progress' or
// 'campaign.leasesExpired' event for this campaign arrives (pushed over IPC or server-sent events;
// never a polling loop). Events that come while a fetch is running coalesce into one more fetch.
import type { CampaignMonitor, RaterLink } from '../../../../src-main/contract';
import { call, errorText, onEvent } from '../../lib/client';

export class CampaignMonitorState {
  readonly campaignId: number;
  monitor = $state<CampaignMonitor | null>(null);
  /** Links (and tokens) by rater id: the monitor rows carry no tokens. */
  links = $state<Record<number, RaterLink>>({});
  error = $state<string | null>(null);
  busy = $state(false);
  /** When the last answer arrived (for the relative lease expiry). */
  loadedAt = $state(Date.now());

  private loading: Promise<void> | null = null;
  private again = false;

  constructor(campaignId: number) {
    this.campaignId = campaignId;
  }

  load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          const [monitor, raters] = await Promise.all([
            call('campaigns.monitor', { campaignId: this.campaignId }),
            call('raters.list', { campaignId: this.campaignId }),
          ]);
          this.monitor = monitor;
          this.links = Object.fromEntries(raters.map((rater) => [rater.id, rater]));
          this.loadedAt = Date.now();
          this.error = null;
        } catch (error) {
          this.error = errorText(error);
        }
      } while (this.again);
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Loads and follows this campaign's events (answers, and leases running out); returns the stop function. */
  start(): () => void {
    void this.load();
    const reloadIfMine = (event: { campaignId: number }) => {
      if (event.campaignId === this.campaignId) void this.load();
    };
    const stops = [onEvent('campaign.progress', reloadIfMine), onEvent('campaign.leasesExpired', reloadIfMine)];
    return () => stops.forEach((stop) => stop());
  }

  private async act(work: () => Promise<unknown>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await work();
      this.error = null;
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
    // The handlers announce a 'campaign.progress' event too; loading here keeps IPC and HTTP alike.
    await this.load();
  }

  setStatus(status: 'open' | 'paused' | 'closed'): Promise<void> {
    return this.act(() => call('campaigns.setStatus', { campaignId: this.campaignId, status }));
  }

  revoke(raterId: number): Promise<void> {
    return this.act(() => call('raters.revoke', { raterId }));
  }

  addRater(name: string): Promise<void> {
    return this.act(() => call('raters.add', { campaignId: this.campaignId, name }));
  }
}
