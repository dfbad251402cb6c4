// A rater on the desktop (a local rater profile, the monitor's "Rate as") gets a window of their
// own: its own in-memory partition, the same hardened options and preload, and a rater token bound
// in main, so the rater page never runs in the researcher's window, storage or rights (issue 11).
import { BrowserWindow, session, type WebContents } from 'electron';
import type { EventBus } from '../api/events';
import { raterMaySeeMedia } from '../store/media';
import type { Project } from '../project/project';
import type { RaterRecord } from '../store/raters';
import { handleAppProtocol } from './app-protocol';
import { forwardEvents, raterHolding } from './ipc';
import { isRaterPageUrl, RATER_PAGE_URL, raterLinkToken } from './origin';
import { hardenSession } from './security';
import { raterWindowOptions } from './window-options';
import type { WindowRole, WindowRoles } from './window-roles';

export interface RaterWindowsOptions {
  project: Project;
  events: EventBus;
  roles: WindowRoles;
  preloadPath: string;
  rendererDir: string;
  devTools: boolean;
  /** Told when a rater window's page fails to load. */
  onLoadError(error: unknown): void;
}

/** One partition per rater: no `persist:` prefix, so it lives in memory and dies with the app. */
export const raterPartition = (raterId: number): string => `rater-${raterId}`;

/** Opens rater windows, one per rater at a time. */
export class RaterWindows {
  private readonly windowOfRater = new Map<number, BrowserWindow>();
  /** Partitions already hardened and serving the app scheme (Electron refuses a second handler). */
  private readonly preparedPartitions = new Set<string>();

  constructor(private readonly options: RaterWindowsOptions) {}

  /**
   * Opens the window of the rater holding `raterToken`, or focuses it when it is open already.
   * Returns false, opening nothing, when the token names no rater or a revoked one.
   */
  openFor(raterToken: string): boolean {
    const rater = raterHolding(this.options, raterToken);
    if (!rater) return false;
    const open = this.windowOfRater.get(rater.id);
    if (open && !open.isDestroyed()) {
      if (open.isMinimized()) open.restore();
      open.focus();
      return true;
    }
    this.windowOfRater.set(rater.id, this.create(rater));
    return true;
  }

  private create(rater: RaterRecord): BrowserWindow {
    const { options } = this;
    const partition = raterPartition(rater.id);
    this.preparePartition(partition, rater);
    const window = new BrowserWindow(
      raterWindowOptions({
        preloadPath: options.preloadPath,
        devTools: options.devTools,
        partition,
        raterName: rater.name,
      }),
    );
    // Bound before anything loads, so the page's very first call already speaks for this rater.
    const role: WindowRole = { kind: 'rater', raterToken: rater.token };
    options.roles.bind(window.webContents, role);
    keepOnRaterPage(window.webContents);
    const stopForwarding = forwardEvents(options.events, window.webContents, role);
    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      stopForwarding();
      if (this.windowOfRater.get(rater.id) === window) this.windowOfRater.delete(rater.id);
    });
    window.loadURL(RATER_PAGE_URL).catch(options.onLoadError);
    return window;
  }

  /** Protocol handlers and session defences are per session: a new partition needs both. */
  private preparePartition(partition: string, rater: RaterRecord): void {
    if (this.preparedPartitions.has(partition)) return;
    const raterSession = session.fromPartition(partition);
    hardenSession(raterSession, { role: 'rater' });
    const { project, rendererDir } = this.options;
    handleAppProtocol(raterSession.protocol, {
      project,
      rendererDir,
      // The rater is looked up on every image, as the HTTP bridge authenticates every one: once
      // revoked, their window loads nothing more, like their calls.
      mayServeMedia: (sha256) =>
        raterHolding(this.options, rater.token) !== null && raterMaySeeMedia(project.db, rater.id, sha256),
    });
    this.preparedPartitions.add(partition);
  }
}

/**
 * The researcher window never shows the rater page: navigating to a rater link (the monitor's
 * "Rate as" assigns `/rate?token=...`) is stopped and opens that rater's own window instead.
 */
export function routeRaterLinks(contents: Pick<WebContents, 'on'>, openFor: (raterToken: string) => void): void {
  contents.on('will-navigate', (event) => {
    if (!isRaterPageUrl(event.url)) return;
    event.preventDefault();
    const token = raterLinkToken(event.url);
    if (token) openFor(token);
  });
}

/** A rater window stays on the rater page: the researcher's pages would only meet refusals there. */
function keepOnRaterPage(contents: Pick<WebContents, 'on'>): void {
  const stayOnRaterPage = (event: { url: string; preventDefault(): void }) => {
    if (!isRaterPageUrl(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', stayOnRaterPage);
  contents.on('will-frame-navigate', stayOnRaterPage);
}
