// Issue 12: the side routes (renderer files, /media, /enter) are one implementation (side-routes.ts)
// with two adapters. Each case here goes through both, the real HTTP server and the Electron app
// scheme's handler, and the two must answer alike: status, content type, CSP and the other security
// headers, cache policy, length and bytes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { raterMaySeeMedia } from '../../src-main/store/media';
import { respondToAppRequest } from '../../src-main/shell/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../src-main/http/csp';
import { asRater, campaignShowingImage, contextFor, makeProject, makeRater, tempDir } from '../helpers/factories';
import { fakeRendererDir, request, serveProject } from '../helpers/http';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const COMPARED = [
  'content-type',
  'cache-control',
  'content-length',
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
  'x-frame-options',
  'allow',
];

type Who = 'researcher' | 'assigned rater' | 'other rater' | 'nobody';

/** A project with one image on an item leased to "ana" (not to "ben"), and one image planted as a symlink out of media/. */
async function setUp() {
  const project = makeProject();
  const { sha256 } = project.media.put(PNG, 'image/png');
  const planted = project.media.put(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9]), 'image/png').sha256;
  const outside = path.join(tempDir(), 'hostname');
  fs.writeFileSync(outside, 'secret-host-name\n');
  fs.rmSync(project.media.fileFor(planted, 'image/png'));
  fs.symlinkSync(outside, project.media.fileFor(planted, 'image/png'));
  const campaignId = campaignShowingImage(project, sha256);
  const ana = makeRater(project, campaignId, 'ana');
  const ben = makeRater(project, campaignId, 'ben');
  const leased = await dispatch('rater.next', { count: 1 }, contextFor(project, asRater(ana)));
  expect(leased.ok).toBe(true);
  // The same renderer build for both adapters, with a file beside it that neither may serve.
  const rendererDir = fakeRendererDir();
  fs.writeFileSync(path.join(path.dirname(rendererDir), 'secret.txt'), 'outside');
  const server = await serveProject(project, { staticDir: rendererDir });
  const tokens: Record<Who, string | null> = {
    researcher: server.researcherToken,
    'assigned rater': ana.token,
    'other rater': ben.token,
    nobody: null,
  };
  const raterOf: Partial<Record<Who, number>> = { 'assigned rater': ana.id, 'other rater': ben.id };

  /** The same request through HTTP (the token in the URL, as an <img> sends it) and through the app scheme. */
  async function both(method: string, route: string, who: Who) {
    const token = tokens[who];
    const withToken = token ? `${route}${route.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : route;
    const http = await request(server.port, method, withToken, {
      Host: `127.0.0.1:${server.port}`,
      Origin: `http://127.0.0.1:${server.port}`,
    });
    const raterId = raterOf[who];
    const app = await respondToAppRequest(
      { url: `sightline-app://app${route}`, method },
      {
        project,
        rendererDir,
        mayServeMedia:
          who === 'researcher'
            ? undefined
            : (sha) => raterId !== undefined && raterMaySeeMedia(project.db, raterId, sha),
      },
    );
    const appBody = Buffer.from(await app.arrayBuffer()).toString('utf8');
    const pick = (get: (name: string) => string | undefined) =>
      Object.fromEntries(COMPARED.map((name) => [name, get(name) ?? null]));
    return {
      http: {
        status: http.status,
        headers: pick((name) => http.headers[name] as string | undefined),
        body: http.body,
      },
      app: { status: app.status, headers: pick((name) => app.headers.get(name) ?? undefined), body: appBody },
    };
  }
  return { project, sha256, planted, both };
}

describe('side routes: HTTP and the Electron app scheme answer alike', () => {
  it('for pages, assets, images, refusals and methods', async () => {
    const { sha256, planted, both } = await setUp();
    const cases: [method: string, route: string, who: Who, status: number][] = [
      ['GET', '/', 'nobody', 200],
      ['GET', '/rate', 'nobody', 200],
      ['GET', '/assets/app.js', 'nobody', 200],
      ['HEAD', '/assets/app.js', 'nobody', 200],
      ['GET', '/assets', 'nobody', 404],
      ['GET', '/missing.js', 'nobody', 404],
      ['GET', '/%2e%2e/secret.txt', 'nobody', 404],
      ['GET', '/%ff', 'nobody', 400],
      ['GET', '/index.html%00.png', 'nobody', 400],
      ['POST', '/', 'nobody', 405],
      ['GET', `/media/${sha256}`, 'researcher', 200],
      ['HEAD', `/media/${sha256}`, 'researcher', 200],
      ['GET', `/media/${sha256}`, 'assigned rater', 200],
      ['GET', `/media/${sha256}`, 'other rater', 404],
      ['GET', `/media/${sha256}`, 'nobody', 404],
      ['GET', `/media/${sha256.toUpperCase()}`, 'researcher', 404],
      ['GET', '/media/../index.html', 'researcher', 200], // normalised to /index.html by both URL parsers
      ['GET', `/media/${planted}`, 'researcher', 404],
    ];
    for (const [method, route, who, status] of cases) {
      const { http, app } = await both(method, route, who);
      const label = `${method} ${route} as ${who}`;
      expect({ label, ...http }).toEqual({ label, ...app });
      expect({ label, status: http.status }).toEqual({ label, status });
      expect(http.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(http.headers['x-content-type-options']).toBe('nosniff');
      expect(http.body).not.toContain('secret-host-name');
      expect(http.body).not.toContain('outside');
    }
    const image = await both('GET', `/media/${sha256}`, 'researcher');
    expect(image.app.headers['content-type']).toBe('image/png');
    expect(image.app.headers['content-length']).toBe(String(PNG.length));
    expect(image.app.headers['cache-control']).toContain('private');
    const asset = await both('GET', '/assets/app.js', 'nobody');
    expect(asset.app.headers['cache-control']).toContain('immutable');
    expect(asset.app.body).toBe('console.log(1)');
    const refused = await both('GET', `/media/${sha256}`, 'other rater');
    expect(JSON.parse(refused.app.body)).toEqual({ ok: false, error: { code: 'not_found', message: 'no such media' } });
  });

  it('study entry links admit participants over HTTP only; the desktop app has none', async () => {
    const { project, both } = await setUp();
    const before = project.db.prepare('SELECT COUNT(*) FROM raters').pluck().get();
    const { http, app } = await both('GET', '/enter/no-such-key?PROLIFIC_PID=p1&STUDY_ID=s1&SESSION_ID=x1', 'nobody');
    expect(http.status).toBe(404);
    expect(http.headers['content-type']).toMatch(/^text\/html/);
    expect(http.body).toContain('This study link is not valid');
    expect(app.status).toBe(404);
    expect(JSON.parse(app.body)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(project.db.prepare('SELECT COUNT(*) FROM raters').pluck().get()).toBe(before);
  });
});
