// Issue 11: `GET /%ff` with no token killed `sightline serve` (decodeURIComponent threw outside any
// handler; a NUL byte threw inside sendFile). Any page on any origin could do it with an <img>.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { rendererFileFor } from '../../src-main/http/static';
import { respondToAppRequest } from '../../src-main/shell/app-protocol';
import { makeProject } from '../helpers/factories';
import { fakeRendererDir, rawExchange, request, serveProject, stillServes } from '../helpers/http';

const MALFORMED = [
  '/%ff',
  '/assets/%',
  '/rate%',
  '/%00',
  '/index.html%00.png',
  '/assets/app.js%00',
  '/%E0%A4%A',
  '/assets/%c0%ae%c0%ae/x',
];

describe('static paths over HTTP', () => {
  it.each(MALFORMED)('answers 400 to GET %s with no token, and keeps serving', async (urlPath) => {
    const server = await serveProject(makeProject());
    const answer = await rawExchange(
      server.port,
      `GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.status).toBe(400);
    expect(await stillServes(server.port)).toBe(true);
  });

  it('still refuses to leave the renderer folder, and serves what is inside it', async () => {
    const server = await serveProject(makeProject());
    const host = { Host: `127.0.0.1:${server.port}` };
    for (const attempt of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
    ]) {
      const answer = await request(server.port, 'GET', attempt, host);
      expect([400, 404]).toContain(answer.status);
      expect(answer.body).not.toContain('outside');
    }
    const asset = await request(server.port, 'GET', '/assets/app.js', host);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    // Without a token /rate is the page itself (a token that names nobody gets tests/http/rater-link-page.test.ts's page).
    expect((await request(server.port, 'GET', '/rate', host)).body).toContain('<title>Sightline</title>');
    expect((await request(server.port, 'GET', '/assets', host)).status).toBe(404);
  });
});

describe('one path resolution for HTTP and the Electron app scheme', () => {
  const dir = () => {
    const rendererDir = fakeRendererDir();
    fs.writeFileSync(path.join(path.dirname(rendererDir), 'secret.txt'), 'outside the renderer');
    return rendererDir;
  };

  it.each(MALFORMED)('rendererFileFor(%s) says malformed instead of throwing', (urlPath) => {
    expect(rendererFileFor(dir(), urlPath)).toEqual({ status: 400 });
  });

  it('maps the entry paths to index.html and assets to immutable files', () => {
    const rendererDir = dir();
    for (const entry of ['/', '/rate', '/index.html'])
      expect(rendererFileFor(rendererDir, entry)).toMatchObject({
        status: 200,
        file: path.join(rendererDir, 'index.html'),
        cache: 'no-cache',
      });
    expect(rendererFileFor(rendererDir, '/assets/app.js')).toMatchObject({
      status: 200,
      file: path.join(rendererDir, 'assets', 'app.js'),
      cache: expect.stringContaining('immutable'),
    });
    // `..` is clamped at the root: what is named lies inside the renderer folder (and does not exist there).
    const clamped = rendererFileFor(rendererDir, '/%2e%2e/secret.txt');
    expect(clamped).toMatchObject({ status: 200, file: path.join(rendererDir, 'secret.txt') });
    expect(rendererFileFor(rendererDir, '/..%5c..%5csecret.txt')).toMatchObject({
      file: path.join(rendererDir, 'secret.txt'),
    });
  });

  it.each(MALFORMED)('the app scheme refuses sightline-app://app%s without throwing', async (urlPath) => {
    const project = makeProject();
    const response = await respondToAppRequest(
      { url: `sightline-app://app${urlPath}`, method: 'GET' },
      { project, rendererDir: dir() },
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('the app scheme serves what HTTP serves', async () => {
    const project = makeProject();
    const rendererDir = dir();
    const response = await respondToAppRequest(
      { url: 'sightline-app://app/assets/app.js', method: 'GET' },
      { project, rendererDir },
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('console.log(1)');
  });
});

describe('the last resort', () => {
  it('logs what a request made throw, answers 500, and keeps serving', async () => {
    const project = makeProject();
    const { sha256 } = project.media.put(new Uint8Array([1, 2, 3]), 'image/png');
    const server = await serveProject(project);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      // A database gone from under the server (closed here; a disk error in life) makes token lookups throw.
      project.db.close();
      for (const route of [`/media/${sha256}?token=x`, '/api/events?token=x']) {
        const answer = await request(server.port, 'GET', route, { Host: `127.0.0.1:${server.port}` });
        expect(answer.status).toBe(500);
        expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'internal' } });
      }
      expect(logged).toHaveBeenCalledTimes(2);
      expect(String(logged.mock.calls[0][0])).toContain('/media/');
      expect(await stillServes(server.port)).toBe(true);
    } finally {
      logged.mockRestore();
    }
  });
});
