import { beforeAll, describe, expect, it, vi } from 'vitest';
import { methodNames } from '../../src-main/contract';
import { IPC_EVENT_CHANNEL, type SightlineBridge } from '../../src-main/contract/bridge';
import { fake, resetFakeElectron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

let bridge: SightlineBridge;

beforeAll(async () => {
  resetFakeElectron();
  await import('../../src-main/shell/preload');
  expect(fake.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  bridge = fake.contextBridge.exposeInMainWorld.mock.calls[0][1] as SightlineBridge;
});

/** Every value reachable from the exposed object (functions and objects). */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const walk = (value: unknown): void => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value as object)) walk((value as Record<PropertyKey, unknown>)[key]);
  };
  walk(root);
  return [...seen];
}

describe('preload', () => {
  it("exposes exactly one object, named 'sightline'", () => {
    expect(fake.contextBridge.exposeInMainWorld.mock.calls.map((call) => call[0])).toEqual(['sightline']);
    expect(Object.keys(bridge).sort()).toEqual(['methods', 'onEvent', 'pickPath']);
  });

  it('freezes the object and its methods', () => {
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.isFrozen(bridge.methods)).toBe(true);
  });

  it('has one method per contract method, and nothing else', () => {
    expect(Object.keys(bridge.methods).sort()).toEqual([...methodNames].sort());
    for (const name of methodNames) expect(bridge.methods[name]).toBeTypeOf('function');
  });

  it('never exposes ipcRenderer or any of its functions', () => {
    const exposed = reachable(bridge);
    expect(exposed).not.toContain(fake.ipcRenderer);
    for (const fn of [fake.ipcRenderer.invoke, fake.ipcRenderer.on, fake.ipcRenderer.send, fake.ipcRenderer.emit])
      expect(exposed).not.toContain(fn);
  });

  it('invokes the prefixed channel with the {input, raterToken?} envelope', async () => {
    fake.ipcRenderer.invoke.mockClear();
    await bridge.methods['campaigns.list']({});
    await bridge.methods['rater.session']({}, 'token-123');
    expect(fake.ipcRenderer.invoke.mock.calls).toEqual([
      ['sightline:campaigns.list', { input: {} }],
      ['sightline:rater.session', { input: {}, raterToken: 'token-123' }],
    ]);
  });

  it('pickPath sends only the kind on its own channel and answers what main answers', async () => {
    fake.ipcRenderer.invoke.mockClear();
    fake.ipcRenderer.invoke.mockResolvedValueOnce('/data/sae' as never);
    expect(await bridge.pickPath('folder')).toBe('/data/sae');
    // Anything else a page passes is asked as a file, never forwarded as is.
    await bridge.pickPath('../../etc' as never);
    expect(fake.ipcRenderer.invoke.mock.calls).toEqual([
      ['sightline-pick-path', 'folder'],
      ['sightline-pick-path', 'file'],
    ]);
  });

  it('passes events on without the IpcRendererEvent, and unsubscribes', () => {
    const listener = vi.fn();
    const unsubscribe = bridge.onEvent(listener);
    const payload = { campaignId: 1, submitted: 1, target: 2 };
    fake.ipcRenderer.emit(IPC_EVENT_CHANNEL, { sender: fake.ipcRenderer, ports: [] }, 'campaign.progress', payload);
    expect(listener.mock.calls).toEqual([['campaign.progress', payload]]);
    unsubscribe();
    fake.ipcRenderer.emit(IPC_EVENT_CHANNEL, { sender: fake.ipcRenderer }, 'campaign.progress', payload);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(fake.ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(0);
  });
});
