import { describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { EventMap, EventName } from '../../src-main/contract/types';
import { nextItems } from '../../src-main/domain/rating';
import { asRater, contextFor, makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

describe('rater.flag', () => {
  it("sends 'campaign.progress', so the monitor's flagged count follows live", async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [item] = nextItems(project.db, ana, 1).items;
    const context = contextFor(project, asRater(ana));
    const seen: { name: EventName; payload: EventMap[EventName] }[] = [];
    context.events.subscribe((name, payload) => seen.push({ name, payload }));

    expect(await dispatch('rater.flag', { assignmentId: item.assignmentId, comment: 'image does not load' }, context)).toEqual({ ok: true, value: { flagged: true } });
    // Announced shortly after the request (coalesced per campaign), like a submit's.
    expect(seen).toEqual([]);
    await vi.waitFor(() => expect(seen).toEqual([{ name: 'campaign.progress', payload: { campaignId, submitted: 0, target: 2 } }]), { timeout: 5000 });
  });
});
