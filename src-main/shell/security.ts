import type { App, DownloadItem, Event, Session, WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../http/csp';
import { isAppUrl, isOwnBlobUrl } from './origin';

export interface SessionPolicy {
  /** Whose windows use the session: the researcher's (the default session) or one rater's partition. */
  role: 'researcher' | 'rater';
}

/**
 * Whether a download may go ahead. Nothing the app serves is meant to be downloaded, and a download
 * writes to the user's disk, so a page (or content injected into one) must not start any. The one
 * exception is the researcher saving a plot (SVG, PNG or its CSV): the results page builds the file
 * itself and clicks an `<a download>` to a blob on our own origin, which only our own script can make;
 * Electron then asks the researcher where to save it. A rater's window saves nothing.
 */
export function downloadAllowed(item: Pick<DownloadItem, 'getURL'>, policy: SessionPolicy): boolean {
  return policy.role === 'researcher' && isOwnBlobUrl(item.getURL());
}

/**
 * Session-wide defences, for every session a window uses (the researcher's default session and each
 * rater partition): the app asks for no permission (camera, notifications, clipboard,
 * HID/serial/USB…), so every request and every check is refused; downloads are cancelled (see
 * downloadAllowed); and every response carries the same strict Content-Security-Policy the HTTP
 * server sends, whichever way it was loaded.
 */
export function hardenSession(session: Session, policy: SessionPolicy): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  // preventDefault in 'will-download' cancels the download before anything is written.
  session.on('will-download', (event, item) => {
    if (!downloadAllowed(item, policy)) event.preventDefault();
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    const responseHeaders: Record<string, string[] | string> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      // Drop any other CSP so ours is the one policy; header names are case-insensitive.
      if (name.toLowerCase() !== 'content-security-policy') responseHeaders[name] = value;
    }
    responseHeaders['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders });
  });
}

const refuseUnlessOwnOrigin = (event: Event & { url: string }): void => {
  if (!isAppUrl(event.url)) event.preventDefault();
};

/** Locks down one WebContents: it stays on the app's own pages and opens nothing else. */
export function hardenContents(contents: WebContents): void {
  // will-frame-navigate covers subframes as well as the main frame (will-navigate is main only).
  contents.on('will-navigate', refuseUnlessOwnOrigin);
  contents.on('will-frame-navigate', refuseUnlessOwnOrigin);
  contents.on('will-redirect', refuseUnlessOwnOrigin);
  // Links with target=_blank and window.open: never a second window, never a page from elsewhere.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // webviewTag is off in our preferences; this refuses one even if a preference slipped.
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Applies hardenContents to every WebContents the app ever creates; call before the first window. */
export function hardenWebContents(app: App): void {
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
}
