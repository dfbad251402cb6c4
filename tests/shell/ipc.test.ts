import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { IPC_PREFIX, methodNames, type Result } from '../../src-main/contract';
import { IPC_EVENT_CHANNEL } from '../../src-main/contract/bridge';
import { RATER_EVENTS } from '../../src-main/contract/types';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { openProject, type Project } from '../../src-main/project/project';
import { forwardEvents, projectDispatcher, registerIpcBridge, type IpcDispatcher } from '../../src-main/shell/ipc';
import { WindowRoles } from '../../src-main/shell/window-roles';
import { insertCampaign } from '../../src-main/store/campaigns';
import { insertRater } from '../../src-main/store/raters';
import { fake, FakeBrowserWindow, invokeEvent, resetFakeElectron, type FakeFrame } from './fake-electron';
import { tempDir } from './temp';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

let project: Project;
let window: FakeBrowserWindow;
let roles: WindowRoles;
let dispatchCalls: number;

function seedCampaign(): number {
  const template = Object.values(BUILTIN_TEMPLATES)[0];
  return insertCampaign(
    project.db,
    { name: 'pilot', template, instructions: 'Rate each answer.', overlap: 2, leaseSeconds: 600, seed: 7 },
    [{ payload: { text: 'a steered answer' } }],
  );
}

const raterCount = (): number => project.db.prepare('SELECT COUNT(*) FROM raters').pluck().get() as number;

/** Calls a registered handler the way Electron would. */
function invoke(
  method: string,
  envelope: unknown,
  frame: FakeFrame | null,
  sender = window.webContents,
): Promise<Result<unknown>> {
  const handler = fake.ipcHandlers.get(`${IPC_PREFIX}${method}`) as
    | ((event: unknown, envelope: unknown) => Promise<Result<unknown>>)
    | undefined;
  if (!handler) throw new Error(`no handler for ${method}`);
  return handler(invokeEvent(sender, frame), envelope);
}

const appFrame = (): FakeFrame => ({ url: 'sightline-app://app/', parent: null });

beforeEach(() => {
  resetFakeElectron();
  project = openProject(path.join(tempDir(), 'test.sightline'), { create: true });
  window = new FakeBrowserWindow({});
  roles = new WindowRoles();
  roles.bind(window.webContents as never, { kind: 'researcher' });
  dispatchCalls = 0;
  const real = projectDispatcher({ project, events: new EventBus() });
  const counted: IpcDispatcher = (name, role, envelope) => {
    dispatchCalls++;
    return real(name, role, envelope);
  };
  registerIpcBridge(fake.ipcMain, { dispatchFor: counted, roleOf: (event) => roles.roleOf(event) });
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
    [
      'a subframe on our origin',
      { url: 'sightline-app://app/', parent: { url: 'sightline-app://app/', parent: null } },
    ],
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

  it('refuses a call from a WebContents main gave no role (not the researcher window, not a rater window)', async () => {
    const other = new FakeBrowserWindow({});
    const result = await invoke('campaigns.list', { input: {} }, appFrame(), other.webContents);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dispatchCalls).toBe(0);
  });

  it('refuses everything from a window once it is closed', async () => {
    const contents = window.webContents;
    window.close();
    const result = await invoke('campaigns.list', { input: {} }, appFrame(), contents);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dispatchCalls).toBe(0);
  });

  it('a WebContents keeps the role it was first given (a rater window cannot be rebound as the researcher)', () => {
    const raterWindow = new FakeBrowserWindow({});
    roles.bind(raterWindow.webContents as never, { kind: 'rater', raterToken: 'x' });
    expect(() => roles.bind(raterWindow.webContents as never, { kind: 'researcher' })).toThrow(/already/);
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

  it('never run as a rater: a rater token in the envelope is refused (rater sessions have their own window)', async () => {
    const campaignId = seedCampaign();
    const rater = insertRater(project.db, campaignId, 'bob', 7);
    const session = await invoke('rater.session', { input: {}, raterToken: rater.token }, appFrame());
    expect(session).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const list = await invoke('campaigns.list', { input: {}, raterToken: rater.token }, appFrame());
    expect(list).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dispatchCalls).toBe(2);
  });

  it('without a rater token may not call rater methods', async () => {
    const result = await invoke('rater.session', { input: {} }, appFrame());
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});

describe('IPC calls from a rater window', () => {
  let raterWindow: FakeBrowserWindow;
  let campaignId: number;
  let bob: ReturnType<typeof insertRater>;
  const raterFrame = (): FakeFrame => ({ url: 'sightline-app://app/rate', parent: null });
  const fromRater = (method: string, envelope: unknown) =>
    invoke(method, envelope, raterFrame(), raterWindow.webContents);

  beforeEach(() => {
    campaignId = seedCampaign();
    bob = insertRater(project.db, campaignId, 'bob', 7);
    raterWindow = new FakeBrowserWindow({ webPreferences: { partition: `rater-${bob.id}` } });
    roles.bind(raterWindow.webContents as never, { kind: 'rater', raterToken: bob.token });
  });

  it("carry the window's rater token without the page sending one", async () => {
    const session = await fromRater('rater.session', { input: {} });
    expect(session.ok).toBe(true);
    expect(await fromRater('rater.next', undefined)).toMatchObject({ ok: true });
  });

  it('never have researcher rights, with or without a token in the envelope', async () => {
    for (const envelope of [{ input: {} }, undefined, { input: {}, raterToken: bob.token }]) {
      expect(await fromRater('campaigns.list', envelope)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    const add = await fromRater('raters.add', { input: { campaignId, name: 'eve' } });
    expect(add).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(raterCount()).toBe(1);
  });

  it("cannot switch to another rater's token", async () => {
    const carol = insertRater(project.db, campaignId, 'carol', 7);
    for (const raterToken of [carol.token, 'not-a-token', '']) {
      expect(await fromRater('rater.session', { input: {}, raterToken }), raterToken).toMatchObject({
        ok: false,
        error: { code: 'unauthorized' },
      });
    }
  });

  it('are unauthorized once the rater is revoked, never the researcher', async () => {
    project.db.prepare("UPDATE raters SET status = 'revoked' WHERE id = ?").run(bob.id);
    expect(await fromRater('rater.session', { input: {} })).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(await fromRater('campaigns.list', { input: {} })).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
  });

  it("are refused from a subframe or a frame gone away, like the researcher window's", async () => {
    const subframe = { url: 'sightline-app://app/rate', parent: raterFrame() };
    expect(await invoke('rater.session', { input: {} }, subframe, raterWindow.webContents)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await invoke('rater.session', { input: {} }, null, raterWindow.webContents)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });
});

describe('event forwarding', () => {
  it('sends each EventBus event to the window as (channel, name, payload) until unsubscribed', () => {
    const events = new EventBus();
    const stop = forwardEvents(events, window.webContents, { kind: 'researcher' });
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

  it('sends a rater window only the events raters may receive (none carry research data)', () => {
    const events = new EventBus();
    const raterWindow = new FakeBrowserWindow({});
    forwardEvents(events, raterWindow.webContents, { kind: 'rater', raterToken: 'x' });
    forwardEvents(events, window.webContents, { kind: 'researcher' });
    events.emit('campaign.progress', { campaignId: 1, submitted: 3, target: 10 });
    events.emit('campaign.leasesExpired', { campaignId: 1, expired: 2 } as never);
    expect(window.webContents.sent).toHaveLength(2);
    expect(
      raterWindow.webContents.sent
        .map((sent) => sent[1])
        .filter((name) => !(RATER_EVENTS as readonly unknown[]).includes(name)),
    ).toEqual([]);
  });
});
