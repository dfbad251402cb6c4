import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { IPC_PREFIX, methodNames, type Result } from '../../src-main/contract';
import { IPC_EVENT_CHANNEL } from '../../src-main/contract/bridge';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { openProject, type Project } from '../../src-main/project/project';
import { forwardEvents, projectDispatcher, registerIpcBridge, trustedFrameOf, type IpcDispatcher } from '../../src-main/shell/ipc';
import { insertCampaign } from '../../src-main/store/campaigns';
import { insertRater } from '../../src-main/store/raters';
import { fake, FakeBrowserWindow, invokeEvent, resetFakeElectron, type FakeFrame } from './fake-electron';
import { tempDir } from './temp';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

let project: Project;
let window: FakeBrowserWindow;
let dispatchCalls: number;

function seedCampaign(): number {
  const template = Object.values(BUILTIN_TEMPLATES)[0];
  return insertCampaign(project.db, { name: 'pilot', template, instructions: 'Rate each answer.', overlap: 2, leaseSeconds: 600, seed: 7 }, [
    { payload: { text: 'a steered answer' } },
  ]);
}

const raterCount = (): number => project.db.prepare('SELECT COUNT(*) FROM raters').pluck().get() as number;

/** Calls a registered handler the way Electron would. */
function invoke(method: string, envelope: unknown, frame: FakeFrame | null, sender = window.webContents): Promise<Result<unknown>> {
  const handler = fake.ipcHandlers.get(`${IPC_PREFIX}${method}`) as ((event: unknown, envelope: unknown) => Promise<Result<unknown>>) | undefined;
  if (!handler) throw new Error(`no handler for ${method}`);
  return handler(invokeEvent(sender, frame), envelope);
}

const appFrame = (): FakeFrame => ({ url: 'sightline-app://app/', parent: null });

beforeEach(() => {
  resetFakeElectron();
  project = openProject(path.join(tempDir(), 'test.sightline'), { create: true });
  window = new FakeBrowserWindow({});
  dispatchCalls = 0;
  const real = projectDispatcher({ project, events: new EventBus() });
  const counted: IpcDispatcher = (name, envelope) => {
    dispatchCalls++;
    return real(name, envelope);
  };
  registerIpcBridge(fake.ipcMain, { dispatchFor: counted, isTrustedFrame: trustedFrameOf(() => window as never) });
});

afterEach(() => project.close());

describe('IPC bridge registration', () => {
  it('registers exactly one sightline:<method> channel per contract method and nothing else', () => {
    const channels = [...fake.ipcHandlers.keys()];
    expect(channels.sort()).toEqual(methodNames.map((name) => `sightline:${name}`).sort());
    expect(fake.ipcMain.handle).toHaveBeenCalledTimes(methodNames.length);
  });
});

describe('IPC sender-frame check', () => {
  it.each([
    ['another origin', { url: 'https://evil.example/', parent: null }],
    ['a file:// page', { url: 'file:///tmp/index.html', parent: null }],
    ['a look-alike host', { url: 'sightline-app://app.evil/', parent: null }],
    ['a subframe on our origin', { url: 'sightline-app://app/', parent: { url: 'sightline-app://app/', parent: null } }],
    ['a frame that has gone away', null],
  ])('refuses a call from %s with forbidden, before dispatch', async (_label, frame) => {
    const campaignId = seedCampaign();
    const list = await invoke('campaigns.list', { input: {} }, frame as FakeFrame | null);
    expect(list).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(list).not.toHaveProperty('value');
    const add = await invoke('raters.add', { input: { campaignId, name: 'mallory' } }, frame as FakeFrame | null);
    expect(add).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dispatchCalls).toBe(0);
    expect(raterCount()).toBe(0);
  });

  it("refuses a call from a WebContents that is not the main window's", async () => {
    const other = new FakeBrowserWindow({});
    const result = await invoke('campaigns.list', { input: {} }, appFrame(), other.webContents);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dispatchCalls).toBe(0);
  });

  it('refuses everything while there is no window', async () => {
    window = null as never;
    const result = await invoke('campaigns.list', { input: {} }, appFrame(), new FakeBrowserWindow({}).webContents);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});

describe('IPC calls from the trusted frame', () => {
  it('reach the real dispatch as the researcher', async () => {
    const campaignId = seedCampaign();
    const list = await invoke('campaigns.list', { input: {} }, appFrame());
    expect(list.ok).toBe(true);
    expect((list as { value: { name: string }[] }).value.map((campaign) => campaign.name)).toEqual(['pilot']);
    const add = await invoke('raters.add', { input: { campaignId, name: 'alice' } }, appFrame());
    expect(add.ok).toBe(true);
    expect(raterCount()).toBe(1);
    expect(dispatchCalls).toBe(2);
  });

  it('validate input through dispatch', async () => {
    const result = await invoke('raters.add', { input: { campaignId: -1, name: '' } }, appFrame());
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('refuse a malformed envelope', async () => {
    const result = await invoke('campaigns.list', { input: {}, raterToken: 42 }, appFrame());
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(dispatchCalls).toBe(0);
  });

  it('with a rater token are that rater\'s calls, and only that', async () => {
    const campaignId = seedCampaign();
    const rater = insertRater(project.db, campaignId, 'bob', 7);
    const session = await invoke('rater.session', { input: {}, raterToken: rater.token }, appFrame());
    expect(session.ok).toBe(true);
    const asResearcher = await invoke('campaigns.list', { input: {}, raterToken: rater.token }, appFrame());
    expect(asResearcher).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const sneaky = await invoke('raters.add', { input: { campaignId, name: 'eve' }, raterToken: rater.token }, appFrame());
    expect(sneaky).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(raterCount()).toBe(1);
  });

  it('with an unknown or revoked rater token are unauthorized', async () => {
    const campaignId = seedCampaign();
    const unknown = await invoke('rater.session', { input: {}, raterToken: 'not-a-token' }, appFrame());
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const rater = insertRater(project.db, campaignId, 'carol', 7);
    project.db.prepare("UPDATE raters SET status = 'revoked' WHERE id = ?").run(rater.id);
    const revoked = await invoke('rater.session', { input: {}, raterToken: rater.token }, appFrame());
    expect(revoked).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('without a rater token may not call rater methods', async () => {
    const result = await invoke('rater.session', { input: {} }, appFrame());
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});

describe('event forwarding', () => {
  it('sends each EventBus event to the window as (channel, name, payload) until unsubscribed', () => {
    const events = new EventBus();
    const stop = forwardEvents(events, window.webContents);
    const payload = { campaignId: 1, submitted: 3, target: 10 };
    events.emit('campaign.progress', payload);
    expect(window.webContents.sent).toEqual([[IPC_EVENT_CHANNEL, 'campaign.progress', payload]]);
    window.webContents.destroyed = true;
    events.emit('campaign.progress', payload);
    window.webContents.destroyed = false;
    stop();
    events.emit('campaign.progress', payload);
    expect(window.webContents.sent).toHaveLength(1);
  });
});
