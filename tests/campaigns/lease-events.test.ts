// Lease expiries reach the researcher's monitor as server-sent events, sent by the server's lease
// timer when a lease runs out (issue 4: "lease expiries - pushed as events, no polling"). The
// project runs on a TestClock (issue 12): time moves only when the test advances it, so a lease
// runs out at exactly its expiry, with no sleeping; only the HTTP delivery is waited for.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { startServer, type RunningServer } from '../../src-main/http/server';
import type { EventMap, EventName } from '../../src-main/contract/types';
import { TestClock } from '../helpers/clock';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

let server: RunningServer | undefined;
const streams: AbortController[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.abort();
  await server?.close();
  server = undefined;
});

async function call(url: string, token: string, method: string, input: unknown): Promise<any> {
  const response = await fetch(`${url}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  });
  const body = await response.json();
  if (!body.ok) throw new Error(`${method}: ${body.error.message}`);
  return body.value;
}

interface SseEvent {
  name: string;
  data: any;
}

/** Opens /api/events and collects every event as it arrives; resolves once the stream is connected. */
async function openEvents(url: string, token: string): Promise<SseEvent[]> {
  const abort = new AbortController();
  streams.push(abort);
  const response = await fetch(`${url}/api/events?token=${encodeURIComponent(token)}`, { signal: abort.signal });
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const received: SseEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  const first = await reader.read(); // ': connected'
  buffered += first.value ?? '';
  void (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return;
        buffered += chunk.value;
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) received.push({ name, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  return received;
}

/** Waits for something the server sends over a real socket (a generous bound, not a timing claim). */
async function waitFor<T>(check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Each event the bus emits, with the test clock's time when it was emitted. */
interface Emitted {
  name: EventName;
  payload: EventMap[EventName];
  at: number;
}

/** A served campaign on a test clock; ten-minute leases, as a real campaign would have. */
async function serveCampaign(items: number, leaseSeconds = 600) {
  const clock = new TestClock();
  const project = makeProject({ clock });
  const campaignId = makeConceptCampaign(project, { items, overlap: 1, leaseSeconds });
  const rater = makeRater(project, campaignId, 'ana');
  const researcherToken = crypto.randomUUID();
  const events = new EventBus();
  // The bus is synchronous: what the lease timer emits while the clock advances is here on return.
  const emitted: Emitted[] = [];
  events.subscribe((name, payload) => emitted.push({ name, payload, at: clock.now() }));
  server = await startServer({ project, events, researcherToken, port: 0 });
  const expiries = () => emitted.filter((event) => event.name === 'campaign.leasesExpired');
  return {
    url: server.url,
    clock,
    campaignId,
    rater,
    researcherToken,
    expiries,
    researcherEvents: await openEvents(server.url, researcherToken),
  };
}

describe('lease expiry events', () => {
  it('the researcher stream gets campaign.leasesExpired when a lease runs out, and the monitor counts it', async () => {
    const { url, clock, campaignId, rater, researcherToken, expiries, researcherEvents } = await serveCampaign(4);
    const raterEvents = await openEvents(url, rater.token);

    const { items } = await call(url, rater.token, 'rater.next', { count: 2 });
    expect(items).toHaveLength(2);
    const leaseExpiresAt: number = items[0].leaseExpiresAt;
    expect(leaseExpiresAt).toBe(clock.now() + 600_000);
    // One of the two is answered in time; only the other runs out.
    clock.advance(60_000);
    await call(url, rater.token, 'rater.submit', {
      assignmentId: items[0].assignmentId,
      answer: { concept: items[0].questions[0].options[0].value },
      activeMs: 80,
    });
    const before = await call(url, researcherToken, 'campaigns.monitor', { campaignId });
    expect(before.leases).toMatchObject({ open: 1, expired: 0, nextExpiryAt: leaseExpiresAt });

    // A millisecond before the expiry nothing has run out; at the expiry the timer announces it.
    clock.advanceTo(leaseExpiresAt - 1);
    expect(expiries()).toEqual([]);
    clock.advanceTo(leaseExpiresAt);
    expect(expiries()).toEqual([
      { name: 'campaign.leasesExpired', payload: { campaignId, expired: 1, nextExpiryAt: null }, at: leaseExpiresAt },
    ]);
    const sent = await waitFor(() => researcherEvents.find((event) => event.name === 'campaign.leasesExpired'));
    expect(sent.data).toEqual({ campaignId, expired: 1, nextExpiryAt: null });
    const after = await call(url, researcherToken, 'campaigns.monitor', { campaignId });
    expect(after.leases).toMatchObject({ open: 0, expired: 1, nextExpiryAt: null });

    // Sent once per expiry, never repeated (no open lease: no timer at all), and never to raters.
    expect(clock.pendingTimers).toBe(0);
    clock.advance(24 * 3600_000);
    expect(expiries()).toHaveLength(1);
    expect(researcherEvents.filter((event) => event.name === 'campaign.leasesExpired')).toHaveLength(1);
    expect(raterEvents).toEqual([]);
  });

  it('a lease renewed before it runs out sends nothing; the timer moves to the new expiry', async () => {
    const { url, clock, campaignId, rater, expiries, researcherEvents } = await serveCampaign(2);

    const first = (await call(url, rater.token, 'rater.next', { count: 1 })).items[0];
    clock.advance(400_000);
    // Fetching again renews the rater's lease past the first alarm.
    const renewed = (await call(url, rater.token, 'rater.next', { count: 1 })).items[0];
    expect(renewed.assignmentId).toBe(first.assignmentId);
    expect(renewed.leaseExpiresAt).toBe(first.leaseExpiresAt + 400_000);
    clock.advanceTo(renewed.leaseExpiresAt - 1);
    expect(expiries()).toEqual([]);

    clock.advanceTo(renewed.leaseExpiresAt);
    expect(expiries()).toEqual([
      {
        name: 'campaign.leasesExpired',
        payload: { campaignId, expired: 1, nextExpiryAt: null },
        at: renewed.leaseExpiresAt,
      },
    ]);
    const sent = await waitFor(() => researcherEvents.find((event) => event.name === 'campaign.leasesExpired'));
    expect(sent.data).toMatchObject({ campaignId, expired: 1 });
  });

  it('revoking a rater ends their leases at once, and the stream says so', async () => {
    const { url, clock, campaignId, rater, researcherToken, expiries, researcherEvents } = await serveCampaign(4);
    expect((await call(url, rater.token, 'rater.next', { count: 2 })).items).toHaveLength(2);
    clock.advance(5_000);
    await call(url, researcherToken, 'raters.revoke', { raterId: rater.id });
    // Due now: the timer fires without the clock moving on.
    expect(clock.nextTimerAt).toBe(clock.now());
    clock.advance(0);
    expect(expiries().map((event) => event.payload)).toEqual([{ campaignId, expired: 2, nextExpiryAt: null }]);
    const sent = await waitFor(() => researcherEvents.find((event) => event.name === 'campaign.leasesExpired'));
    expect(sent.data).toEqual({ campaignId, expired: 2, nextExpiryAt: null });
  });
});
