// Issue 11: five parallel 60 MB bodies on a rater token took the server from 69 MB to 557 MB. Bodies
// are now limited by role (a rater's largest valid input, derived from the contract; the researcher's
// 64 MB item upload), and concurrent bodies and event streams are bounded per token.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { contract } from '../../src-main/contract';
import { MAX_QUESTIONS } from '../../src-main/contract/templates';
import { RATER_BODY_LIMIT_BYTES } from '../../src-main/contract/rater-limits';
import { BODY_LIMIT_BYTES, CONCURRENT_BODIES_PER_TOKEN, EVENT_STREAMS_PER_TOKEN } from '../../src-main/http/limits';
import { createClient, retryWhileBusy } from '../../src-renderer/src/lib/client';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';
import { holdBody, postApi, request, serveProject } from '../helpers/http';

/**
 * The largest input the contract lets a rater send: rater.submit with as many answers as a template
 * has questions, each key and each list entry at its longest, every character one that JSON.stringify
 * writes as a six-byte \u escape.
 */
function largestSubmit() {
  // Keys differ in their last unit, a lone surrogate (also a six-byte escape; \b, \t, \n... are two).
  const escaped = (length: number, last = 0x0001) => '\u0001'.repeat(length - 1) + String.fromCharCode(last);
  const answer = Object.fromEntries(
    Array.from({ length: MAX_QUESTIONS }, (_, index) => [
      escaped(100, 0xd800 + index),
      Array.from({ length: 50 }, () => escaped(200)),
    ]),
  );
  return { assignmentId: Number.MAX_SAFE_INTEGER, answer, activeMs: 24 * 3600 * 1000, prefetch: 3 };
}

async function setUp() {
  const project = makeProject();
  const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
  const ana = makeRater(project, campaignId, 'ana');
  const ben = makeRater(project, campaignId, 'ben');
  const server = await serveProject(project);
  return { project, server, ana, ben };
}

/** Opens an event stream and resolves once its headers are in (status and the request, to close). */
function openStream(port: number, token: string): Promise<{ status: number; close: () => void }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.get(
      {
        host: '127.0.0.1',
        port,
        path: `/api/events?token=${encodeURIComponent(token)}`,
        agent: false,
        headers: { Host: `127.0.0.1:${port}` },
      },
      (response) => {
        response.on('data', () => {});
        response.on('error', () => {});
        resolve({ status: response.statusCode ?? 0, close: () => outgoing.destroy() });
      },
    );
    outgoing.on('error', reject);
  });
}

describe('the rater body limit comes from the contract', () => {
  it('is exactly the largest valid rater input, as JSON', () => {
    const input = largestSubmit();
    expect(contract['rater.submit'].input.safeParse(input).success).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(input))).toBe(RATER_BODY_LIMIT_BYTES);
    // ...and the contract bounds it: one answer more than a template has questions is not valid.
    const tooMany = { ...input, answer: { ...input.answer, extra: 'x' } };
    expect(contract['rater.submit'].input.safeParse(tooMany).success).toBe(false);
    expect(BODY_LIMIT_BYTES.rater).toBe(RATER_BODY_LIMIT_BYTES);
  });
});

describe('body limits over HTTP', () => {
  it('lets the largest valid rater body through, and answers 413 one byte over', async () => {
    const { server, ana } = await setUp();
    const body = JSON.stringify(largestSubmit());
    const fits = await postApi(server.port, ana.token, 'rater.submit', body);
    expect(fits.status).toBe(200);
    expect(fits.json).toMatchObject({ ok: false, error: { code: 'not_found' } }); // read, parsed and dispatched: no such assignment
    const over = await postApi(server.port, ana.token, 'rater.submit', ` ${body}`);
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ ok: false, error: { code: 'too_large' } });
  });

  it('answers 413 to a streamed (chunked) rater body once it passes the limit', async () => {
    const { server, ana } = await setUp();
    const answer = await request(
      server.port,
      'POST',
      '/api/rater.submit',
      { Host: `127.0.0.1:${server.port}`, Authorization: `Bearer ${ana.token}`, 'Transfer-Encoding': 'chunked' },
      Buffer.alloc(RATER_BODY_LIMIT_BYTES + 64 * 1024, 0x20),
    ).catch((error: Error) => ({ status: -1, body: error.message }));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'too_large' } });
  });

  it('answers 413 from Content-Length alone, before reading a 60 MB rater body', async () => {
    const { server, ana } = await setUp();
    const answer = await request(
      server.port,
      'POST',
      '/api/rater.submit',
      { Host: `127.0.0.1:${server.port}`, Authorization: `Bearer ${ana.token}`, 'Content-Length': 60 << 20 },
      '{}',
    ).catch((error: Error) => ({ status: -1, body: error.message }));
    expect(answer.status).toBe(413);
  });

  it('takes researcher bodies over the rater limit, up to the item-upload limit', async () => {
    const { server } = await setUp();
    const padded = `${' '.repeat(RATER_BODY_LIMIT_BYTES * 2)}{}`;
    expect((await postApi(server.port, server.researcherToken, 'project.overview', padded)).json).toMatchObject({
      ok: true,
    });
    const answer = await request(
      server.port,
      'POST',
      '/api/project.overview',
      {
        Host: `127.0.0.1:${server.port}`,
        Authorization: `Bearer ${server.researcherToken}`,
        'Content-Length': BODY_LIMIT_BYTES.researcher + 1,
      },
      '{}',
    ).catch((error: Error) => ({ status: -1, body: error.message }));
    expect(answer.status).toBe(413);
  });
});

describe('concurrency per token', () => {
  it(`holds at most ${CONCURRENT_BODIES_PER_TOKEN.rater} bodies per rater token at once (429 past that); other tokens are unaffected`, async () => {
    const { server, ana, ben } = await setUp();
    const held = await Promise.all(
      Array.from({ length: CONCURRENT_BODIES_PER_TOKEN.rater }, () => holdBody(server, ana.token)),
    );
    try {
      const refused = await postApi(server.port, ana.token, 'rater.session', {});
      expect(refused.status).toBe(429);
      expect(refused.json).toMatchObject({ ok: false, error: { code: 'too_many_requests' } });
      expect((await postApi(server.port, ben.token, 'rater.session', {})).json).toMatchObject({ ok: true });
    } finally {
      for (const outgoing of held) outgoing.destroy();
    }
    // The slots come back when those requests go away.
    await expect
      .poll(async () => (await postApi(server.port, ana.token, 'rater.session', {})).status, { timeout: 10_000 })
      .toBe(200);
  });

  it("the rater page's client waits out a 429 like a busy database, and gets through once a slot frees", async () => {
    const { server, ana } = await setUp();
    const fetchImpl = ((url: string, init: RequestInit) =>
      fetch(`http://127.0.0.1:${server.port}${url}`, init)) as typeof fetch;
    const client = createClient({ role: 'rater', token: ana.token, fetchImpl });
    const held = await Promise.all(
      Array.from({ length: CONCURRENT_BODIES_PER_TOKEN.rater }, () => holdBody(server, ana.token)),
    );
    try {
      const refused = await client.call('rater.session', {}).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'too_many_requests' });
      const waits: number[] = [];
      const session = await retryWhileBusy(() => client.call('rater.session', {}), {
        delayMs: 50,
        attempts: 100,
        onWait: (attempt) => {
          waits.push(attempt);
          if (attempt === 1) held.pop()!.destroy();
        },
      });
      expect(session.raterName).toBe('ana');
      expect(waits.length).toBeGreaterThan(0);
    } finally {
      for (const outgoing of held) outgoing.destroy();
    }
  });

  it(`opens at most ${EVENT_STREAMS_PER_TOKEN.rater} event streams per rater token (429 past that)`, async () => {
    const { server, ana, ben } = await setUp();
    const streams = await Promise.all(
      Array.from({ length: EVENT_STREAMS_PER_TOKEN.rater }, () => openStream(server.port, ana.token)),
    );
    try {
      expect(streams.map((stream) => stream.status)).toEqual(streams.map(() => 200));
      const extra = await openStream(server.port, ana.token);
      expect(extra.status).toBe(429);
      extra.close();
      const other = await openStream(server.port, ben.token);
      expect(other.status).toBe(200);
      other.close();
      streams.pop()!.close();
      await expect
        .poll(
          async () => {
            const again = await openStream(server.port, ana.token);
            again.close();
            return again.status;
          },
          { timeout: 10_000 },
        )
        .toBe(200);
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});
