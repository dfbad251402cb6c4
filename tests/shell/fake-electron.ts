// A stand-in for the 'electron' module: the runtime binary is not installed in CI, and the tests
// want to see what the shell registers rather than drive a real Chromium. Each fake records its
// calls; `resetFakeElectron()` clears them between tests. Use with
//   vi.mock('electron', async () => (await import('./fake-electron')).electronModule);
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
  readonly sent: unknown[][] = [];
  destroyed = false;
  readonly mainFrame: FakeFrame = { url: 'sightline-app://app/', parent: null };

  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static readonly created: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loadedUrls: string[] = [];
  shown = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.created.push(this);
  }
  static getAllWindows(): FakeBrowserWindow[] {
    return [...FakeBrowserWindow.created];
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrls.push(url);
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
}

type Handler = (...args: never[]) => unknown;

class FakeApp extends EventEmitter {
  isPackaged = false;
  userDataDir = '/nonexistent-user-data';
  singleInstance = true;
  readonly quit = vi.fn();
  readonly exit = vi.fn();
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`fake app.getPath: ${name} not faked`);
    return this.userDataDir;
  }
}

function createFake() {
  const fake = {
    app: new FakeApp(),
    /** channel -> handler, as `ipcMain.handle` registered them. */
    ipcHandlers: new Map<string, Handler>(),
    ipcMain: {
      handle: vi.fn((channel: string, handler: Handler) => {
        // Electron throws on a second handler for one channel; so does the fake.
        if (fake.ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        fake.ipcHandlers.set(channel, handler);
      }),
    },
    ipcRenderer: Object.assign(new EventEmitter(), {
      invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, value: null })),
      send: vi.fn(),
    }),
    contextBridge: { exposeInMainWorld: vi.fn((_key: string, _api: unknown) => undefined) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
        setDevicePermissionHandler: vi.fn(),
        webRequest: { onHeadersReceived: vi.fn() },
      },
    },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    dialog: { showErrorBox: vi.fn() },
  };
  /** The module object `import ... from 'electron'` sees. */
  const electronModule = {
    app: fake.app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: fake.ipcMain,
    ipcRenderer: fake.ipcRenderer,
    contextBridge: fake.contextBridge,
    session: fake.session,
    protocol: fake.protocol,
    dialog: fake.dialog,
    default: {} as Record<string, unknown>,
  };
  electronModule.default = { ...electronModule };
  return { fake, electronModule };
}

// vi.resetModules() re-evaluates this file for the code under test; keeping the fakes on
// globalThis makes the shell and the test see the same recorder either way.
const shared = globalThis as { __sightlineFakeElectron?: ReturnType<typeof createFake> };
shared.__sightlineFakeElectron ??= createFake();
export const { fake, electronModule } = shared.__sightlineFakeElectron;

export function resetFakeElectron(): void {
  vi.clearAllMocks();
  fake.app.removeAllListeners();
  fake.app.isPackaged = false;
  fake.app.singleInstance = true;
  fake.app.userDataDir = '/nonexistent-user-data';
  fake.ipcHandlers.clear();
  fake.ipcRenderer.removeAllListeners();
  FakeBrowserWindow.created.length = 0;
}

/** An IPC invoke event as Electron builds it: who sent it, and from which frame. */
export function invokeEvent(sender: FakeWebContents, frame: FakeFrame | null): unknown {
  return { sender, senderFrame: frame, frameId: 1, processId: 1, type: 'frame' };
}
