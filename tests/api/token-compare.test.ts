// Issue 11: the researcher token was compared with ===, which returns at the first differing
// character, so response times could leak how much of a guess was right. Tokens are now compared
// in constant time (crypto.timingSafeEqual on equal-length SHA-256 digests of both sides).
import crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { authenticate } from '../../src-main/api/dispatch';
import { projectDispatcher } from '../../src-main/shell/ipc';
import { secretsEqual } from '../../src-main/util/secret-equal';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

afterEach(() => vi.restoreAllMocks());

describe('secretsEqual', () => {
  it('is true only for the same string, whatever the lengths', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('', 'a')).toBe(false);
    expect(secretsEqual('', '')).toBe(true);
    // Unicode is compared as its UTF-8 bytes, not as look-alike text.
    expect(secretsEqual('é', 'e\u0301')).toBe(false);
  });

  it('compares with crypto.timingSafeEqual on equal-length buffers, also when the lengths differ', () => {
    const spy = vi.spyOn(crypto, 'timingSafeEqual');
    expect(secretsEqual('short', 'a much longer secret')).toBe(false);
    expect(spy).toHaveBeenCalledTimes(1);
    const [a, b] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(a.length).toBe(b.length);
  });
});

describe('tokens are compared in constant time', () => {
  it('authenticate checks the researcher token with crypto.timingSafeEqual, and still tells right from wrong', () => {
    const project = makeProject();
    const base = { project, events: new EventBus() };
    const researcherToken = crypto.randomBytes(24).toString('base64url');
    const spy = vi.spyOn(crypto, 'timingSafeEqual');
    expect(authenticate(base, researcherToken, researcherToken)).toEqual({ role: 'researcher' });
    expect(spy).toHaveBeenCalled();
    spy.mockClear();
    // Same length, one character off; and a prefix: neither is the researcher.
    const near = `${researcherToken.slice(0, -1)}${researcherToken.endsWith('A') ? 'B' : 'A'}`;
    expect(authenticate(base, near, researcherToken)).toBeNull();
    expect(authenticate(base, researcherToken.slice(0, 10), researcherToken)).toBeNull();
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it("a rater window compares the page's token with its own in constant time", async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project);
    const ana = makeRater(project, campaignId, 'ana');
    const ben = makeRater(project, campaignId, 'ben');
    const dispatchAs = projectDispatcher({ project, events: new EventBus() });
    const spy = vi.spyOn(crypto, 'timingSafeEqual');
    const role = { kind: 'rater', raterToken: ana.token } as const;
    expect(await dispatchAs('rater.session', role, { input: {}, raterToken: ana.token })).toMatchObject({ ok: true });
    // Once for the page's token against the window's, once in authenticate (against the researcher's).
    expect(spy).toHaveBeenCalledTimes(2);
    expect(await dispatchAs('rater.session', role, { input: {}, raterToken: ben.token })).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
  });
});
