// The Electron entry (bundled to dist/main/shell.cjs). It opens one project, wires the IPC bridge
// to the same dispatch the HTTP server and CLI use, and shows one hardened window on the app's
// own origin.
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import { EventBus } from '../api/events';
import { leaseExpiries } from '../api/lease-expiry';
import { createDemoProject } from '../demo/create';
import { isProjectDir, openProject, type Project } from '../project/project';
import { rendererDir } from '../util/paths';
import { handleAppProtocol, registerAppScheme } from './app-protocol';
import { forwardEvents, projectDispatcher, registerIpcBridge, trustedFrameOf } from './ipc';
import { APP_URL } from './origin';
import { chooseProjectDir } from './project-choice';
import { hardenSession, hardenWebContents } from './security';
import { mainWindowOptions } from './window-options';

let mainWindow: BrowserWindow | null = null;
let project: Project | null = null;

function createMainWindow(events: EventBus): BrowserWindow {
  const window = new BrowserWindow(
    mainWindowOptions({ preloadPath: path.join(__dirname, 'preload.cjs'), devTools: !app.isPackaged }),
  );
  const stopForwarding = forwardEvents(events, window.webContents);
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    stopForwarding();
    if (mainWindow === window) mainWindow = null;
  });
  window.loadURL(APP_URL).catch(fail);
  return window;
}

async function openChosenProject(): Promise<Project> {
  const choice = chooseProjectDir(process.argv, process.env, app.getPath('userData'));
  if (choice.isDemo && !isProjectDir(choice.dir)) await createDemoProject(choice.dir);
  return openProject(choice.dir);
}

async function start(): Promise<void> {
  project = await openChosenProject();
  const events = new EventBus();
  leaseExpiries({ project, events }).rearm();
  hardenSession(session.defaultSession, { role: 'researcher' });
  handleAppProtocol(protocol, { project, rendererDir: rendererDir() });
  registerIpcBridge(ipcMain, {
    dispatchFor: projectDispatcher({ project, events }),
    isTrustedFrame: trustedFrameOf(() => mainWindow),
  });
  mainWindow = createMainWindow(events);
  // macOS keeps the app alive without windows; clicking the dock icon brings one back.
  app.on('activate', () => {
    if (!mainWindow) mainWindow = createMainWindow(events);
  });
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  dialog.showErrorBox('Sightline could not start', message);
  app.exit(1);
}

// Both must happen before ready: privileged schemes are fixed then, and the hardening has to
// see the very first WebContents.
registerAppScheme(protocol);
hardenWebContents(app);

// One instance per user: a second launch focuses the running window instead of opening the same
// SQLite project twice.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    project?.close();
    project = null;
  });
  app.whenReady().then(start).catch(fail);
}
