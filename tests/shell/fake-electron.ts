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

/** A protocol registry as each Electron session has one (`ses.protocol`); a scheme is handled once. */
export class FakeProtocol {
  readonly handlers = new Map<string, (request: Request) => Promise<Response> | Response>();
  readonly registerSchemesAsPrivileged = vi.fn();
  readonly handle = vi.fn((scheme: string, handler: (request: Request) => Promise<Response> | Response) => {
    // Electron: "Failed to register protocol" when the scheme already has a handler in this session.
    if (this.handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
    this.handlers.set(scheme, handler);
  });
}

/** A Session: an EventEmitter ('will-download', ...) with its own handlers and protocol registry. */
export class FakeSession extends EventEmitter {
  readonly setPermissionRequestHandler = vi.fn();
  readonly setPermissionCheckHandler = vi.fn();
  readonly setDevicePermissionHandler = vi.fn();
  readonly webRequest = { onHeadersReceived: vi.fn() };
  constructor(
    /** '' for the default session, else the partition string it was made from. */
    readonly partition: string,
    readonly protocol: FakeProtocol = new FakeProtocol(),
  ) {
    super();
  }
}

/** A DownloadItem as 'will-download' hands it over. */
export function fakeDownloadItem(url: string) {
  return {
    getURL: () => url,
    getURLChain: () => [url],
    getFilename: () => 'file',
    cancel: vi.fn(),
    setSavePath: vi.fn(),
  };
}

// On globalThis: vi.resetModules() re-evaluates this file, and ids must stay unique across copies.
const ids = globalThis as { __sightlineFakeWebContentsId?: number };

export class FakeWebContents extends EventEmitter {
  /** Unique among all WebContents of the app, as Electron's webContents.id. */
  readonly id = (ids.__sightlineFakeWebContentsId = (ids.__sightlineFakeWebContentsId ?? 0) + 1);
  windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
  readonly sent: unknown[][] = [];
  destroyed = false;
  readonly mainFrame: FakeFrame = { url: 'sightline-app://app/', parent: null };

  constructor(readonly session: FakeSession = fake.session.defaultSession) {
    super();
  }

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
  readonly webContents: FakeWebContents;
  readonly loadedUrls: string[] = [];
  shown = false;
  focused = 0;
  destroyed = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    // Like Electron: webPreferences.partition picks the session (same string, same session), and
    // the app hears about every new WebContents before anything is loaded into it.
    const partition = (options.webPreferences as { partition?: string } | undefined)?.partition;
    this.webContents = new FakeWebContents(
      partition === undefined ? fake.session.defaultSession : fake.session.fromPartition(partition),
    );
    FakeBrowserWindow.created.push(this);
    fake.app.emit('web-contents-created', {}, this.webContents);
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
  focus(): void {
    this.focused++;
  }
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Closing a window: 'closed', then its WebContents is destroyed. */
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('closed');
    this.webContents.destroyed = true;
    this.webContents.emit('destroyed');
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
  const defaultProtocol = new FakeProtocol();
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
      defaultSession: new FakeSession('', defaultProtocol),
      /** Sessions made from partitions; the same string gives the same session, as in Electron. */
      partitions: new Map<string, FakeSession>(),
      fromPartition: vi.fn((partition: string): FakeSession => {
        let made = fake.session.partitions.get(partition);
        if (!made) {
          made = new FakeSession(partition);
          fake.session.partitions.set(partition, made);
        }
        return made;
      }),
    },
    /** The module-level protocol is the default session's. */
    protocol: defaultProtocol,
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
  fake.protocol.handlers.clear();
  fake.session.defaultSession.removeAllListeners();
  fake.session.partitions.clear();
  FakeBrowserWindow.created.length = 0;
}

/** An IPC invoke event as Electron builds it: who sent it, and from which frame. */
export function invokeEvent(sender: FakeWebContents, frame: FakeFrame | null): unknown {
  return { sender, senderFrame: frame, frameId: 1, processId: 1, type: 'frame' };
}
