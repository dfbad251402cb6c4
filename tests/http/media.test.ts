// Issue 11: a symlink planted in a shared project folder's media/ served /etc/hostname as a PNG.
// Media resolve to their real path and are refused unless it lies inside the project's media/.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { respondToAppRequest } from '../../src-main/shell/app-protocol';
import { campaignShowingImage, makeProject, makeRater, tempDir } from '../helpers/factories';
import { fakeRendererDir, request, serveProject } from '../helpers/http';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

/** A project whose media row for `sha256` points (through a symlink) at a file outside media/. */
function plantSymlink(linkAt: 'file' | 'folder') {
  const project = makeProject();
  const outside = path.join(tempDir(), 'secret');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'hostname'), 'secret-host-name\n');
  const { sha256 } = project.media.put(PNG, 'image/png');
  const file = project.media.fileFor(sha256, 'image/png');
  if (linkAt === 'file') {
    fs.rmSync(file);
    fs.symlinkSync(path.join(outside, 'hostname'), file);
  } else {
    // The whole <aa>/ folder swapped for a link to a folder holding a file of the same name.
    fs.copyFileSync(path.join(outside, 'hostname'), path.join(outside, path.basename(file)));
    fs.rmSync(path.dirname(file), { recursive: true });
    fs.symlinkSync(outside, path.dirname(file));
  }
  return { project, sha256 };
}

describe('media outside media/', () => {
  it.each(['file', 'folder'] as const)(
    'a symlinked %s is refused over HTTP (researcher token) and by the app scheme',
    async (linkAt) => {
      const { project, sha256 } = plantSymlink(linkAt);
      const server = await serveProject(project);
      const answer = await request(
        server.port,
        'GET',
        `/media/${sha256}?token=${encodeURIComponent(server.researcherToken)}`,
        { Host: `127.0.0.1:${server.port}` },
      );
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('secret-host-name');
      const app = await respondToAppRequest(
        { url: `sightline-app://app/media/${sha256}`, method: 'GET' },
        { project, rendererDir: fakeRendererDir() },
      );
      expect(app.status).toBe(404);
      expect(await app.text()).not.toContain('secret-host-name');
    },
  );

  it('serves real media files, to the researcher and to a rater who was assigned the item', async () => {
    const project = makeProject();
    const { sha256 } = project.media.put(PNG, 'image/png');
    const campaignId = campaignShowingImage(project, sha256);
    const ana = makeRater(project, campaignId, 'ana');
    const ben = makeRater(project, campaignId, 'ben');
    const server = await serveProject(project);
    const get = (token: string) =>
      request(server.port, 'GET', `/media/${sha256}?token=${encodeURIComponent(token)}`, {
        Host: `127.0.0.1:${server.port}`,
      });
    const asResearcher = await get(server.researcherToken);
    expect(asResearcher.status).toBe(200);
    expect(asResearcher.headers['content-type']).toBe('image/png');
    // Before an assignment the rater may not see it; after rater.next leases the item, they may.
    expect((await get(ana.token)).status).toBe(404);
    const next = await fetch(`http://127.0.0.1:${server.port}/api/rater.next`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ana.token}` },
      body: '{"count":1}',
    }).then((r) => r.json());
    expect(next).toMatchObject({ ok: true });
    expect((await get(ana.token)).status).toBe(200);
    expect((await get(ben.token)).status).toBe(404);
    const app = await respondToAppRequest(
      { url: `sightline-app://app/media/${sha256}`, method: 'GET' },
      { project, rendererDir: fakeRendererDir() },
    );
    expect(app.status).toBe(200);
    expect(new Uint8Array(await app.arrayBuffer())).toEqual(PNG);
  });
});
