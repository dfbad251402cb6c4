import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { methodNames } from '../../src-main/contract';
import { PICK_PATH_CHANNEL } from '../../src-main/contract/bridge';
import { isProjectDir, openProject } from '../../src-main/project/project';
import { fake, FakeBrowserWindow, resetFakeElectron } from './fake-electron';
import { tempDir } from './temp';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

// The demo builder belongs to src-main/demo; the shell only decides when to call it.
const createDemoProject = vi.hoisted(() => vi.fn());
vi.mock('../../src-main/demo/create', () => ({ createDemoProject }));

const savedEnv = process.env.SIGHTLINE_PROJECT;

/** Imports a fresh copy of the entry module and waits for its window. */
async function startShell(): Promise<FakeBrowserWindow> {
  vi.resetModules();
  await import('../../src-main/shell/main');
  await vi.waitFor(() => expect(FakeBrowserWindow.created).toHaveLength(1));
  return FakeBrowserWindow.created[0];
}

beforeEach(() => {
  resetFakeElectron();
  createDemoProject.mockReset();
  createDemoProject.mockImplementation(async (dir: string) => openProject(dir, { create: true }).close());
  delete process.env.SIGHTLINE_PROJECT;
});

afterEach(() => {
  fake.app.emit('will-quit'); // closes the project's database before the folder goes
  if (savedEnv === undefined) delete process.env.SIGHTLINE_PROJECT;
  else process.env.SIGHTLINE_PROJECT = savedEnv;
});

describe('shell entry', () => {
  it('opens $SIGHTLINE_PROJECT in one hardened window on the app origin, with the bridge and session hardening', async () => {
    const dir = path.join(tempDir(), 'named.sightline');
    openProject(dir, { create: true }).close();
    process.env.SIGHTLINE_PROJECT = dir;
    const window = await startShell();

    expect(fake.protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1);
    expect(fake.app.listenerCount('web-contents-created')).toBe(1);
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    });
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(/preload\.cjs$/);
    expect(window.loadedUrls).toEqual(['sightline-app://app/']);
    // One channel per contract method, plus the researcher's file picker (path-picker.ts).
    expect([...fake.ipcHandlers.keys()].sort()).toEqual(
      [...methodNames.map((name) => `sightline:${name}`), PICK_PATH_CHANNEL].sort(),
    );
    expect(fake.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalledTimes(1);
    expect(fake.session.defaultSession.webRequest.onHeadersReceived).toHaveBeenCalledTimes(1);
    expect(fake.session.defaultSession.listenerCount('will-download')).toBe(1);
    expect(fake.protocol.handle).toHaveBeenCalledWith('sightline-app', expect.any(Function));
    expect(createDemoProject).not.toHaveBeenCalled();

    window.emit('ready-to-show');
    expect(window.shown).toBe(true);
  });

  it('creates the demo project in userData when no project is named', async () => {
    fake.app.userDataDir = tempDir();
    await startShell();
    const demoDir = path.join(fake.app.userDataDir, 'demo.sightline');
    expect(createDemoProject).toHaveBeenCalledWith(demoDir);
    expect(isProjectDir(demoDir)).toBe(true);
  });

  it('creates the demo on first run when npm start names ./demo.sightline', async () => {
    const demoDir = path.join(tempDir(), 'demo.sightline');
    const savedArgv = process.argv;
    process.argv = [...savedArgv, '--project', demoDir];
    try {
      await startShell();
    } finally {
      process.argv = savedArgv;
    }
    expect(createDemoProject).toHaveBeenCalledWith(demoDir);
    expect(isProjectDir(demoDir)).toBe(true);
  });

  it('quits when the last window closes, except on macOS', async () => {
    const dir = path.join(tempDir(), 'q.sightline');
    openProject(dir, { create: true }).close();
    process.env.SIGHTLINE_PROJECT = dir;
    await startShell();
    fake.app.emit('window-all-closed');
    expect(fake.app.quit).toHaveBeenCalledTimes(process.platform === 'darwin' ? 0 : 1);
  });

  it('a second instance quits at once and opens nothing', async () => {
    fake.app.singleInstance = false;
    const whenReady = vi.spyOn(fake.app, 'whenReady');
    vi.resetModules();
    await import('../../src-main/shell/main');
    // Quit while the module loads, and nothing waits for ready to open a window later: checked
    // as state, not after a fixed sleep that a slow machine could outrun.
    expect(fake.app.quit).toHaveBeenCalled();
    expect(whenReady).not.toHaveBeenCalled();
    expect(FakeBrowserWindow.created).toHaveLength(0);
    expect(fake.ipcHandlers.size).toBe(0);
  });

  it('reports a missing project in a dialog instead of opening a window', async () => {
    process.env.SIGHTLINE_PROJECT = path.join(tempDir(), 'missing.sightline');
    vi.resetModules();
    await import('../../src-main/shell/main');
    await vi.waitFor(() => expect(fake.dialog.showErrorBox).toHaveBeenCalled());
    expect(String(fake.dialog.showErrorBox.mock.calls[0][1])).toContain('not a Sightline project');
    expect(fake.app.exit).toHaveBeenCalledWith(1);
    expect(FakeBrowserWindow.created).toHaveLength(0);
  });
});
