// The Electron entry (bundled to dist/main/shell.cjs). It opens one project, wires the IPC bridge
// to the same dispatch the HTTP server and CLI use, and shows the researcher's hardened window on
// the app's own origin; raters the researcher rates as get windows of their own (rater-windows.ts).
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import { EventBus } from '../api/events';
import { leaseExpiries } from '../api/lease-expiry';
import { createDemoProject } from '../demo/create';
import { isProjectDir, openProject, type Project } from '../project/project';
import { rendererDir } from '../util/paths';
import { handleAppProtocol, registerAppScheme } from './app-protocol';
import { forwardEvents, projectDispatcher, registerIpcBridge } from './ipc';
import { registerPathPicker } from './path-picker';
import { APP_URL } from './origin';
import { chooseProjectDir } from './project-choice';
import { RaterWindows, routeRaterLinks } from './rater-windows';
import { hardenSession, hardenWebContents } from './security';
import { mainWindowOptions } from './window-options';
import { WindowRoles, type WindowRole } from './window-roles';

let mainWindow: BrowserWindow | null = null;
let project: Project | null = null;
/** Which window speaks for whom; the IPC bridge asks it on every call. */
const roles = new WindowRoles();
const preloadPath = (): string => path.join(__dirname, 'preload.cjs');

function createMainWindow(events: EventBus, raterWindows: RaterWindows): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions({ preloadPath: preloadPath(), devTools: !app.isPackaged }));
  const role: WindowRole = { kind: 'researcher' };
  roles.bind(window.webContents, role);
  routeRaterLinks(window.webContents, (raterToken) => raterWindows.openFor(raterToken));
  const stopForwarding = forwardEvents(events, window.webContents, role);
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
    roleOf: (event) => roles.roleOf(event),
  });
  registerPathPicker(ipcMain, {
    roleOf: (event) => roles.roleOf(event),
    showOpenDialog: (event, options) => {
      const window = BrowserWindow.fromWebContents(event.sender);
      return window ? dialog.showOpenDialog(window, options) : dialog.showOpenDialog(options);
    },
  });
  const raterWindows = new RaterWindows({
    project,
    events,
    roles,
    preloadPath: preloadPath(),
    rendererDir: rendererDir(),
    devTools: !app.isPackaged,
    // A rater window that fails to load must not take the researcher's window down with it.
    onLoadError: (error) => dialog.showErrorBox('Sightline could not open the rater window', errorText(error)),
  });
  mainWindow = createMainWindow(events, raterWindows);
  // macOS keeps the app alive without windows; clicking the dock icon brings one back.
  app.on('activate', () => {
    if (!mainWindow) mainWindow = createMainWindow(events, raterWindows);
  });
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function fail(error: unknown): void {
  dialog.showErrorBox('Sightline could not start', errorText(error));
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
