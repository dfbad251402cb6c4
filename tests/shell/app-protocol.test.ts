import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src-main/http/csp';
import { openProject, type Project } from '../../src-main/project/project';
import { handleAppProtocol, registerAppScheme, respondToAppRequest } from '../../src-main/shell/app-protocol';
import { fake, resetFakeElectron } from './fake-electron';
import { tempDir } from './temp';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

let project: Project;
let rendererDir: string;

beforeEach(() => {
  resetFakeElectron();
  const root = tempDir();
  rendererDir = path.join(root, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Sightline</title>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'outside the renderer');
  project = openProject(path.join(root, 'p.sightline'), { create: true });
});

afterEach(() => project.close());

const get = (url: string, method = 'GET') => respondToAppRequest({ url, method }, { project, rendererDir });

describe('app scheme', () => {
  it('is registered as standard, secure and fetch-capable', () => {
    registerAppScheme(fake.protocol);
    expect(fake.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({
        scheme: 'sightline-app',
        privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true }),
      }),
    ]);
  });

  it('routes the scheme to the handler', async () => {
    handleAppProtocol(fake.protocol, { project, rendererDir });
    const [scheme, handler] = fake.protocol.handle.mock.calls[0] as [string, (request: Request) => Promise<Response>];
    expect(scheme).toBe('sightline-app');
    expect((await handler(new Request('sightline-app://app/'))).status).toBe(200);
  });

  it.each(['sightline-app://app/', 'sightline-app://app/rate', 'sightline-app://app/index.html'])(
    'serves index.html for %s with the CSP',
    async (url) => {
      const response = await get(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(await response.text()).toContain('<title>Sightline</title>');
    },
  );

  it('serves renderer assets with their type', async () => {
    const response = await get('sightline-app://app/assets/app.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it.each([
    ['sightline-app://app/../secret.txt', 404],
    ['sightline-app://app/%2e%2e/secret.txt', 404],
    ['sightline-app://app/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 404],
    // Malformed, as HTTP answers it (one side-route implementation, issue 12).
    ['sightline-app://app/%E0%A4%A', 400],
    ['sightline-app://other/index.html', 404],
    ['sightline-app://app/missing.js', 404],
    ['sightline-app://app/assets', 404],
  ])('refuses %s with %i', async (url, status) => {
    const response = await get(url);
    expect(response.status).toBe(status);
    expect(await response.text()).not.toContain('outside the renderer');
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await get('sightline-app://app/', 'POST')).status).toBe(405);
  });

  it('serves project media by sha256 and nothing else under /media/', async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const { sha256 } = project.media.put(bytes, 'image/png');
    const response = await get(`sightline-app://app/media/${sha256}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    expect((await get(`sightline-app://app/media/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await get('sightline-app://app/media/../secret.txt')).status).toBe(404);
    expect((await get(`sightline-app://app/media/${sha256.toUpperCase()}`)).status).toBe(404);
  });
});
