import type { App, Event, Session, WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../http/csp';
import { isAppUrl } from './origin';

/**
 * Session-wide defences: the app asks for no permission (camera, notifications, clipboard,
 * HID/serial/USB…), so every request and every check is refused; and every response carries the
 * same strict Content-Security-Policy the HTTP server sends, whichever way it was loaded.
 */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
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
