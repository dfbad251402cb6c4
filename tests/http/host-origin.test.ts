// Issue 11: DNS rebinding (a hostile name resolving to 127.0.0.1) and cross-site form posts must get
// 403 before any handler runs; the token rides in the query string only where a browser cannot send
// a header (event stream, media).
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';
import { postApi, rawExchange, request, serveProject } from '../helpers/http';

async function ratedProject() {
  const project = makeProject();
  const campaignId = makeConceptCampaign(project, { items: 2, overlap: 1 });
  const ana = makeRater(project, campaignId, 'ana');
  const server = await serveProject(project);
  const judgements = () => project.db.prepare('SELECT count(*) FROM judgements').pluck().get() as number;
  const next = await postApi(server.port, ana.token, 'rater.next', { count: 1 });
  const item = next.json.value.items[0];
  const submit = {
    assignmentId: item.assignmentId,
    answer: { concept: item.questions[0].options[0].value },
    activeMs: 500,
  };
  return { project, server, ana, judgements, submit };
}

describe('Host and Origin checks', () => {
  it.each([
    'evil.example',
    `evil.example:{port}`,
    '127.0.0.1.evil.example:{port}',
    'localhost:1',
    '[::2]:{port}',
    'a b',
  ])('refuses a state-changing call with Host "%s" (403), writing nothing', async (hostTemplate) => {
    const { server, ana, judgements, submit } = await ratedProject();
    const answer = await postApi(server.port, ana.token, 'rater.submit', submit, {
      Host: hostTemplate.replace('{port}', String(server.port)),
    });
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(judgements()).toBe(0);
  });

  it.each(['http://evil.example', 'null', 'http://127.0.0.1:1', 'http://localhost:{port}.evil.example', 'file://'])(
    'refuses a state-changing call with Origin "%s" (403), writing nothing',
    async (originTemplate) => {
      const { server, ana, judgements, submit } = await ratedProject();
      const answer = await postApi(server.port, ana.token, 'rater.submit', submit, {
        Origin: originTemplate.replace('{port}', String(server.port)),
      });
      expect(answer.status).toBe(403);
      expect(answer.json).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(judgements()).toBe(0);
    },
  );

  it('a cross-site form post (text/plain body, foreign Origin) is refused', async () => {
    const { server, ana, judgements, submit } = await ratedProject();
    const answer = await postApi(server.port, ana.token, 'rater.submit', JSON.stringify(submit), {
      'Content-Type': 'text/plain',
      Origin: 'https://attacker.example',
    });
    expect(answer.status).toBe(403);
    expect(judgements()).toBe(0);
  });

  it.each(['127.0.0.1:{port}', 'localhost:{port}', 'LOCALHOST:{port}', '[::1]:{port}'])(
    'accepts loopback Host %s with no Origin or its own origin',
    async (hostTemplate) => {
      const { server, ana, judgements, submit } = await ratedProject();
      const host = hostTemplate.replace('{port}', String(server.port));
      expect((await postApi(server.port, ana.token, 'rater.session', {}, { Host: host })).json).toMatchObject({
        ok: true,
      });
      const answer = await postApi(server.port, ana.token, 'rater.submit', submit, {
        Host: host,
        Origin: `http://${host.toLowerCase()}`,
      });
      expect(answer.json).toMatchObject({ ok: true });
      expect(judgements()).toBe(1);
    },
  );

  it('accepts the names given in allowedHosts (serve --allow-host), on any port', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 1, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const server = await serveProject(project, { allowedHosts: ['Study.Example.org'] });
    expect(
      (
        await postApi(
          server.port,
          ana.token,
          'rater.session',
          {},
          { Host: 'study.example.org', Origin: 'https://study.example.org' },
        )
      ).json,
    ).toMatchObject({ ok: true });
    expect((await postApi(server.port, ana.token, 'rater.session', {}, { Host: 'other.example.org' })).status).toBe(
      403,
    );
  });

  it("bound to every interface, accepts this machine's own addresses", async () => {
    const own = Object.values(os.networkInterfaces())
      .flat()
      .filter((address) => address && address.family === 'IPv4')
      .map((address) => address!.address);
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 1, overlap: 1 });
    const ana = makeRater(project, campaignId, 'ana');
    const server = await serveProject(project, { host: '0.0.0.0' });
    for (const address of own) {
      expect(
        (await postApi(server.port, ana.token, 'rater.session', {}, { Host: `${address}:${server.port}` })).json,
      ).toMatchObject({ ok: true });
    }
    expect(
      (await postApi(server.port, ana.token, 'rater.session', {}, { Host: `evil.example:${server.port}` })).status,
    ).toBe(403);
  });

  it('refuses every route under a foreign Host, pages and entry links included', async () => {
    const { server } = await ratedProject();
    for (const route of ['/', '/rate', '/assets/app.js', '/enter/whatever', '/media/x', '/api/events?token=x']) {
      expect((await request(server.port, 'GET', route, { Host: 'rebound.example' })).status).toBe(403);
    }
    // An empty Host, or none (HTTP/1.0), names nothing either.
    expect((await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n')).status).toBe(403);
    expect((await rawExchange(server.port, 'GET / HTTP/1.0\r\n\r\n')).status).toBe(403);
  });
});

describe('where the token may travel in the query string', () => {
  it('API calls need the Authorization header: ?token= alone is unauthorized', async () => {
    const { server, ana } = await ratedProject();
    const answer = await request(
      server.port,
      'POST',
      `/api/rater.session?token=${encodeURIComponent(ana.token)}`,
      { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json' },
      '{}',
    );
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('the event stream and media still take ?token= (EventSource and <img> cannot send headers)', async () => {
    const { project, server, ana } = await ratedProject();
    const abort = new AbortController();
    const events = await fetch(`http://127.0.0.1:${server.port}/api/events?token=${encodeURIComponent(ana.token)}`, {
      signal: abort.signal,
    });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    abort.abort();
    const { sha256 } = project.media.put(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png');
    const media = await request(
      server.port,
      'GET',
      `/media/${sha256}?token=${encodeURIComponent(server.researcherToken)}`,
      { Host: `127.0.0.1:${server.port}` },
    );
    expect(media.status).toBe(200);
  });
});
