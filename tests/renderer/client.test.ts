import { describe, expect, it, vi } from 'vitest';
import type { SightlineBridge } from '../../src-main/contract/bridge';
import { ApiError, createClient } from '../../src-renderer/src/lib/client';
import { roleForPath, takeToken } from '../../src-renderer/src/lib/token';

const jsonResponse = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });

describe('HTTP transport', () => {
  it('posts JSON with the bearer token and unwraps ok values', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse({ ok: true, value: [] }));
    const client = createClient({
      role: 'researcher',
      token: 'secret',
      fetchImpl: fetchImpl as unknown as typeof fetch,
    });
    await expect(client.call('campaigns.list', {})).resolves.toEqual([]);
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/campaigns.list');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer secret');
    expect(JSON.parse(String(init.body))).toEqual({});
  });

  it('throws a typed ApiError for error values', async () => {
    const fetchImpl = async () =>
      jsonResponse({ ok: false, error: { code: 'not_found', message: 'campaign 9: unknown', details: { id: 9 } } });
    const client = createClient({ role: 'researcher', token: 't', fetchImpl });
    const error = await client.call('raters.list', { campaignId: 9 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'not_found', message: 'campaign 9: unknown', details: { id: 9 } });
  });

  it('reports a network failure as an ApiError', async () => {
    const client = createClient({
      role: 'rater',
      token: 't',
      fetchImpl: async () => Promise.reject(new TypeError('Failed to fetch')),
    });
    await expect(client.call('rater.session', {})).rejects.toMatchObject({ code: 'network' });
  });

  it('adds the token to media URLs only over HTTP', () => {
    const sha = 'a'.repeat(64);
    expect(createClient({ role: 'rater', token: 'r k' }).mediaUrl(sha)).toBe(`/media/${sha}?token=r%20k`);
  });

  it('listens to named server-sent events', () => {
    const listeners = new Map<string, (event: MessageEvent) => void>();
    class FakeEventSource {
      static url = '';
      constructor(url: string) {
        FakeEventSource.url = url;
      }
      addEventListener(name: string, listener: (event: MessageEvent) => void) {
        listeners.set(name, listener);
      }
      removeEventListener(name: string) {
        listeners.delete(name);
      }
    }
    const client = createClient({
      role: 'researcher',
      token: 'tok',
      eventSourceImpl: FakeEventSource as unknown as typeof EventSource,
    });
    const seen: unknown[] = [];
    const stop = client.onEvent('campaign.progress', (payload) => seen.push(payload));
    expect(FakeEventSource.url).toBe('/api/events?token=tok');
    listeners.get('campaign.progress')!({ data: '{"campaignId":1,"submitted":2,"target":6}' } as MessageEvent);
    expect(seen).toEqual([{ campaignId: 1, submitted: 2, target: 6 }]);
    stop();
    expect(listeners.has('campaign.progress')).toBe(false);
  });
});

describe('IPC transport', () => {
  it('calls the preload bridge with the rater token and unwraps results', async () => {
    const submit = vi.fn(async () => ({
      ok: true as const,
      value: { judgementId: 1, progress: { submitted: 1, total: 2 } },
    }));
    const bridge = { methods: { 'rater.submit': submit }, onEvent: () => () => {} } as unknown as SightlineBridge;
    const client = createClient({ role: 'rater', token: 'rt', bridge });
    const input = { assignmentId: 4, answer: { q: 'a' }, activeMs: 10 };
    await expect(client.call('rater.submit', input)).resolves.toMatchObject({ judgementId: 1 });
    expect(submit).toHaveBeenCalledWith(input, 'rt');
    expect(client.mediaUrl('b'.repeat(64))).toBe(`/media/${'b'.repeat(64)}`);
  });
});

describe('token handling', () => {
  it('moves ?token= into session storage and out of the address bar', () => {
    const stored = new Map<string, string>();
    const replaceState = vi.fn();
    const token = takeToken('rater', {
      location: { href: 'http://127.0.0.1:5000/rate?token=abc&x=1#top' },
      storage: { getItem: (key) => stored.get(key) ?? null, setItem: (key, value) => void stored.set(key, value) },
      history: { replaceState },
    });
    expect(token).toBe('abc');
    expect(stored.get('sightline.token.rater')).toBe('abc');
    expect(replaceState).toHaveBeenCalledWith(null, '', '/rate?x=1#top');
    const again = takeToken('rater', {
      location: { href: 'http://127.0.0.1:5000/rate' },
      storage: { getItem: (key) => stored.get(key) ?? null, setItem: () => {} },
      history: { replaceState },
    });
    expect(again).toBe('abc');
  });

  it('routes /rate to the rater UI and everything else to the researcher', () => {
    expect(roleForPath('/rate')).toBe('rater');
    expect(roleForPath('/')).toBe('researcher');
    expect(roleForPath('/rates')).toBe('researcher');
  });
});
