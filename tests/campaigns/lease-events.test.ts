// Lease expiries reach the researcher's monitor as server-sent events, sent by the server's lease
// timer when a lease runs out (issue 4: "lease expiries - pushed as events, no polling").
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { startServer, type RunningServer } from '../../src-main/http/server';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

let server: RunningServer | undefined;
const streams: AbortController[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.abort();
  await server?.close();
  server = undefined;
});

async function call(url: string, token: string, method: string, input: unknown): Promise<any> {
  const response = await fetch(`${url}/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(input) });
  const body = await response.json();
  if (!body.ok) throw new Error(`${method}: ${body.error.message}`);
  return body.value;
}

interface SseEvent {
  name: string;
  data: any;
  receivedAt: number;
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
          if (name && data) received.push({ name, data: JSON.parse(data), receivedAt: Date.now() });
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  return received;
}

async function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A served campaign; one-second leases by default (the contract asks for at least 10 s; the store takes what a test needs). */
async function serveCampaign(items: number, leaseSeconds = 1) {
  const project = makeProject();
  const campaignId = makeConceptCampaign(project, { items, overlap: 1, leaseSeconds });
  const rater = makeRater(project, campaignId, 'ana');
  const researcherToken = crypto.randomUUID();
  server = await startServer({ project, events: new EventBus(), researcherToken, port: 0 });
  return { url: server.url, campaignId, rater, researcherToken, researcherEvents: await openEvents(server.url, researcherToken) };
}

describe('lease expiry events', () => {
  it('the researcher stream gets campaign.leasesExpired when a lease runs out, and the monitor counts it', async () => {
    const { url, campaignId, rater, researcherToken, researcherEvents } = await serveCampaign(4);
    const raterEvents = await openEvents(url, rater.token);

    const { items } = await call(url, rater.token, 'rater.next', { count: 2 });
    expect(items).toHaveLength(2);
    const leaseExpiresAt: number = items[0].leaseExpiresAt;
    // One of the two is answered in time; only the other runs out.
    await call(url, rater.token, 'rater.submit', { assignmentId: items[0].assignmentId, answer: { concept: items[0].questions[0].options[0].value }, activeMs: 80 });
    const before = await call(url, researcherToken, 'campaigns.monitor', { campaignId });
    expect(before.leases).toMatchObject({ open: 1, expired: 0, nextExpiryAt: leaseExpiresAt });

    const expiry = await waitFor(() => researcherEvents.find((event) => event.name === 'campaign.leasesExpired'), 5000);
    expect(expiry.data).toEqual({ campaignId, expired: 1, nextExpiryAt: null });
    expect(expiry.receivedAt).toBeGreaterThanOrEqual(leaseExpiresAt);
    const after = await call(url, researcherToken, 'campaigns.monitor', { campaignId });
    expect(after.leases).toMatchObject({ open: 0, expired: 1, nextExpiryAt: null });

    // Sent once per expiry, never repeated, and never to raters.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(researcherEvents.filter((event) => event.name === 'campaign.leasesExpired')).toHaveLength(1);
    expect(raterEvents).toEqual([]);
  });

  it('a lease renewed before it runs out sends nothing; the timer moves to the new expiry', async () => {
    const { url, campaignId, rater, researcherEvents: events } = await serveCampaign(2);

    const first = (await call(url, rater.token, 'rater.next', { count: 1 })).items[0];
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Fetching again renews the rater's lease past the first alarm.
    const renewed = (await call(url, rater.token, 'rater.next', { count: 1 })).items[0];
    expect(renewed.assignmentId).toBe(first.assignmentId);
    expect(renewed.leaseExpiresAt).toBeGreaterThan(first.leaseExpiresAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first.leaseExpiresAt - Date.now()) + 150));
    expect(events.filter((event) => event.name === 'campaign.leasesExpired')).toEqual([]);

    const expiry = await waitFor(() => events.find((event) => event.name === 'campaign.leasesExpired'), 5000);
    expect(expiry.data).toMatchObject({ campaignId, expired: 1 });
    expect(expiry.receivedAt).toBeGreaterThanOrEqual(renewed.leaseExpiresAt);
  });
  it('revoking a rater ends their leases at once, and the stream says so', async () => {
    const { url, campaignId, rater, researcherToken, researcherEvents } = await serveCampaign(4, 600);
    expect((await call(url, rater.token, 'rater.next', { count: 2 })).items).toHaveLength(2);
    await call(url, researcherToken, 'raters.revoke', { raterId: rater.id });
    const expiry = await waitFor(() => researcherEvents.find((event) => event.name === 'campaign.leasesExpired'), 2000);
    expect(expiry.data).toEqual({ campaignId, expired: 2, nextExpiryAt: null });
  });
});
