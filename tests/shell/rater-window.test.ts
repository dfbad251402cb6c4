// A rater using the desktop app: "Rate as" in the researcher window opens that rater in a window of
// their own (own in-memory partition, same hardened options and preload), whose IPC calls carry
// only that rater's token, bound in main. Driven through the real shell entry with the fake electron.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_PREFIX, type Result } from '../../src-main/contract';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { openProject } from '../../src-main/project/project';
import { hardenedWebPreferences } from '../../src-main/shell/window-options';
import { insertCampaign } from '../../src-main/store/campaigns';
import { insertRater, type RaterRecord } from '../../src-main/store/raters';
import {
  fake,
  FakeBrowserWindow,
  type FakeSession,
  type FakeWebContents,
  invokeEvent,
  resetFakeElectron,
  type FakeFrame,
} from './fake-electron';
import { tempDir } from './temp';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);
const createDemoProject = vi.hoisted(() => vi.fn());
vi.mock('../../src-main/demo/create', () => ({ createDemoProject }));

const savedEnv = process.env.SIGHTLINE_PROJECT;
const PNG = (seed: number) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, seed, seed + 1]);

interface Seeded {
  campaignId: number;
  bob: RaterRecord;
  carol: RaterRecord;
  revoked: RaterRecord;
  /** An image on bob's item, and one on no item at all. */
  itemImage: string;
  otherImage: string;
}

/** A project on disk with one campaign, three raters (one revoked) and two images. */
function seedProject(dir: string): Seeded {
  const project = openProject(dir, { create: true });
  try {
    const itemImage = project.media.put(PNG(1), 'image/png').sha256;
    const otherImage = project.media.put(PNG(2), 'image/png').sha256;
    const campaignId = insertCampaign(
      project.db,
      {
        name: 'pilot',
        template: BUILTIN_TEMPLATES['concept-choice'],
        instructions: 'Pick one.',
        overlap: 1,
        leaseSeconds: 600,
        seed: 7,
      },
      [
        {
          payload: {
            question: 'What is shown?',
            answer: 'A goldfish.',
            options: ['goldfish', 'volcano'],
            image: itemImage,
          },
        },
      ],
    );
    const bob = insertRater(project.db, campaignId, 'bob', 7);
    const carol = insertRater(project.db, campaignId, 'carol', 7);
    const revoked = insertRater(project.db, campaignId, 'mallory', 7);
    project.db.prepare("UPDATE raters SET status = 'revoked' WHERE id = ?").run(revoked.id);
    return { campaignId, bob, carol, revoked, itemImage, otherImage };
  } finally {
    project.close();
  }
}

let seeded: Seeded;
let researcherWindow: FakeBrowserWindow;

async function startShell(): Promise<FakeBrowserWindow> {
  vi.resetModules();
  await import('../../src-main/shell/main');
  await vi.waitFor(() => expect(FakeBrowserWindow.created).toHaveLength(1));
  return FakeBrowserWindow.created[0];
}

/** The researcher's page navigating itself to a rater link, as the monitor's "Rate as" does. */
function navigate(contents: FakeWebContents, url: string): { prevented: boolean } {
  const event = { url, preventDefault: vi.fn() };
  contents.emit('will-navigate', event, url);
  return { prevented: event.preventDefault.mock.calls.length > 0 };
}

const rateAs = (rater: RaterRecord) =>
  navigate(researcherWindow.webContents, `sightline-app://app/rate?token=${encodeURIComponent(rater.token)}`);

function invoke(
  method: string,
  envelope: unknown,
  sender: FakeWebContents,
  frameUrl = sender.mainFrame.url,
): Promise<Result<unknown>> {
  const handler = fake.ipcHandlers.get(`${IPC_PREFIX}${method}`) as (
    event: unknown,
    envelope: unknown,
  ) => Promise<Result<unknown>>;
  const frame: FakeFrame = { url: frameUrl, parent: null };
  return handler(invokeEvent(sender, frame), envelope);
}

const raterWindows = () => FakeBrowserWindow.created.slice(1);

beforeEach(async () => {
  resetFakeElectron();
  const dir = path.join(tempDir(), 'study.sightline');
  seeded = seedProject(dir);
  process.env.SIGHTLINE_PROJECT = dir;
  researcherWindow = await startShell();
});

afterEach(() => {
  fake.app.emit('will-quit');
  if (savedEnv === undefined) delete process.env.SIGHTLINE_PROJECT;
  else process.env.SIGHTLINE_PROJECT = savedEnv;
});

describe('rater windows', () => {
  it('"Rate as" opens the rater in a new hardened window on an in-memory partition of their own, not in the researcher window', async () => {
    expect(rateAs(seeded.bob).prevented).toBe(true);
    expect(researcherWindow.loadedUrls).toEqual(['sightline-app://app/']);
    expect(raterWindows()).toHaveLength(1);
    const [window] = raterWindows();
    const researcherPreferences = researcherWindow.options.webPreferences as { preload: string };
    const partition = `rater-${seeded.bob.id}`;
    // Same hardening and preload as the researcher's window; no 'persist:' prefix, so nothing of
    // the rater's session (storage, cache) reaches the disk or the next rater.
    expect(window.options.webPreferences).toEqual({
      ...hardenedWebPreferences(researcherPreferences.preload, { devTools: true }),
      partition,
    });
    expect(window.webContents.session).toBe(fake.session.fromPartition(partition));
    // The token stays in main: the page is the plain rater page.
    expect(window.loadedUrls).toEqual(['sightline-app://app/rate']);
    window.emit('ready-to-show');
    expect(window.shown).toBe(true);
  });

  it('hardens the rater partition like the default session: permissions, CSP, every download cancelled, the app scheme served', async () => {
    rateAs(seeded.bob);
    const session = fake.session.partitions.get(`rater-${seeded.bob.id}`) as FakeSession;
    expect(session.setPermissionRequestHandler).toHaveBeenCalledTimes(1);
    expect(session.setPermissionCheckHandler).toHaveBeenCalledTimes(1);
    expect(session.webRequest.onHeadersReceived).toHaveBeenCalledTimes(1);
    const download = { preventDefault: vi.fn() };
    session.emit(
      'will-download',
      download,
      { getURL: () => 'blob:sightline-app://app/0b6c1b9e' },
      raterWindows()[0].webContents,
    );
    expect(download.preventDefault).toHaveBeenCalled();
    expect(session.protocol.handlers.has('sightline-app')).toBe(true);
  });

  it("the rater window's calls are that rater's, with no token from the page, and never the researcher's", async () => {
    rateAs(seeded.bob);
    const contents = raterWindows()[0].webContents;
    contents.mainFrame.url = 'sightline-app://app/rate';
    const session = await invoke('rater.session', { input: {} }, contents);
    expect(session).toMatchObject({ ok: true });
    expect(await invoke('campaigns.list', { input: {} }, contents)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(
      await invoke('raters.add', { input: { campaignId: seeded.campaignId, name: 'eve' } }, contents),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await invoke('rater.session', { input: {}, raterToken: seeded.carol.token }, contents)).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    // The researcher window is still the researcher's.
    expect(await invoke('campaigns.list', { input: {} }, researcherWindow.webContents)).toMatchObject({ ok: true });
  });

  it("serves the rater partition only the images on the rater's own assignments", async () => {
    rateAs(seeded.bob);
    const contents = raterWindows()[0].webContents;
    contents.mainFrame.url = 'sightline-app://app/rate';
    const handler = fake.session.partitions.get(`rater-${seeded.bob.id}`)!.protocol.handlers.get('sightline-app')!;
    const media = async (sha256: string) => (await handler(new Request(`sightline-app://app/media/${sha256}`))).status;
    expect(await media(seeded.itemImage)).toBe(404); // not assigned yet
    expect(await invoke('rater.next', { input: {} }, contents)).toMatchObject({ ok: true });
    expect(await media(seeded.itemImage)).toBe(200);
    expect(await media(seeded.otherImage)).toBe(404);
    // Revoked, the rater is nobody: their window loads no image, as over HTTP (a revoked token gets 404).
    expect(
      await invoke('raters.revoke', { input: { raterId: seeded.bob.id } }, researcherWindow.webContents),
    ).toMatchObject({ ok: true });
    expect(await media(seeded.itemImage)).toBe(404);
    // The researcher's own session still serves every image.
    const researcherHandler = fake.protocol.handlers.get('sightline-app')!;
    expect((await researcherHandler(new Request(`sightline-app://app/media/${seeded.otherImage}`))).status).toBe(200);
  });

  it('one window per rater: "Rate as" again focuses it; after it closes, a new one opens on the same partition', async () => {
    rateAs(seeded.bob);
    const [first] = raterWindows();
    rateAs(seeded.bob);
    expect(raterWindows()).toHaveLength(1);
    expect(first.focused).toBe(1);
    first.close();
    // Its role is gone with it.
    expect(await invoke('rater.session', { input: {} }, first.webContents, 'sightline-app://app/rate')).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    rateAs(seeded.bob);
    expect(raterWindows()).toHaveLength(2);
    expect(raterWindows()[1].webContents.session).toBe(first.webContents.session);
    rateAs(seeded.carol);
    expect(raterWindows()).toHaveLength(3);
    expect(raterWindows()[2].webContents.session).not.toBe(first.webContents.session);
  });

  it('opens nothing for a revoked or unknown token, or a rater page without one, and the researcher window stays put', () => {
    for (const url of [
      `sightline-app://app/rate?token=${seeded.revoked.token}`,
      'sightline-app://app/rate?token=not-a-token',
      'sightline-app://app/rate',
      'sightline-app://app/rate/',
    ]) {
      expect(navigate(researcherWindow.webContents, url).prevented, url).toBe(true);
    }
    expect(raterWindows()).toHaveLength(0);
    // Navigation within the researcher's own pages is untouched.
    expect(navigate(researcherWindow.webContents, 'sightline-app://app/index.html').prevented).toBe(false);
  });

  it('keeps a rater window on the rater page', () => {
    rateAs(seeded.bob);
    const contents = raterWindows()[0].webContents;
    for (const url of ['sightline-app://app/', 'sightline-app://app/index.html#/campaigns', 'https://evil.example/']) {
      expect(navigate(contents, url).prevented, url).toBe(true);
    }
    expect(navigate(contents, 'sightline-app://app/rate').prevented).toBe(false);
  });
});
