import { describe, expect, it } from 'vitest';
import { ANNOUNCE_DELAY_MS } from '../../src-main/api/announce';
import { dispatch } from '../../src-main/api/dispatch';
import type { EventMap, EventName } from '../../src-main/contract/types';
import { nextItems } from '../../src-main/domain/rating';
import { TestClock } from '../helpers/clock';
import { asRater, contextFor, makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

describe('rater.flag', () => {
  it("sends 'campaign.progress', so the monitor's flagged count follows live", async () => {
    const clock = new TestClock();
    const project = makeProject({ clock });
    const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const [item] = nextItems(project.db, ana, 1, clock.now()).items;
    const context = contextFor(project, asRater(ana));
    const seen: { name: EventName; payload: EventMap[EventName] }[] = [];
    context.events.subscribe((name, payload) => seen.push({ name, payload }));

    expect(
      await dispatch('rater.flag', { assignmentId: item.assignmentId, comment: 'image does not load' }, context),
    ).toEqual({ ok: true, value: { flagged: true } });
    // Announced shortly after the request (coalesced per campaign), like a submit's: on the
    // project's clock, so the test moves time past the delay instead of sleeping through it.
    expect(seen).toEqual([]);
    clock.advance(ANNOUNCE_DELAY_MS - 1);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual([{ name: 'campaign.progress', payload: { campaignId, submitted: 0, target: 2 } }]);
  });

  it('a burst of flags within the delay is announced once', async () => {
    const clock = new TestClock();
    const project = makeProject({ clock });
    const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const items = nextItems(project.db, ana, 2, clock.now()).items;
    const context = contextFor(project, asRater(ana));
    const seen: EventName[] = [];
    context.events.subscribe((name) => seen.push(name));
    for (const [index, item] of items.entries()) {
      await dispatch('rater.flag', { assignmentId: item.assignmentId, comment: `flag ${index}` }, context);
      clock.advance(100);
    }
    clock.advance(ANNOUNCE_DELAY_MS);
    expect(seen).toEqual(['campaign.progress']);
  });
});
