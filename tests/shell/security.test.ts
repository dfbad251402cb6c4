import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src-main/http/csp';
import { hardenSession, hardenWebContents } from '../../src-main/shell/security';
import { hardenedWebPreferences, mainWindowOptions } from '../../src-main/shell/window-options';
import { fake, fakeDownloadItem, type FakeSession, FakeWebContents, resetFakeElectron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

beforeEach(() => resetFakeElectron());

describe('window options', () => {
  it('are the hardened ones', () => {
    const options = mainWindowOptions({ preloadPath: '/app/dist/main/preload.cjs' });
    expect(options.show).toBe(false);
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/main/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    });
    expect(options.webPreferences).toEqual(hardenedWebPreferences('/app/dist/main/preload.cjs'));
  });

  it('turn devtools off when asked (packaged builds)', () => {
    expect(hardenedWebPreferences('/p.cjs', { devTools: false }).devTools).toBe(false);
  });
});

function createdContents(): FakeWebContents {
  hardenWebContents(fake.app as never);
  const contents = new FakeWebContents();
  fake.app.emit('web-contents-created', {}, contents);
  return contents;
}

const navigation = (url: string) => ({ url, preventDefault: vi.fn() });

describe('web contents hardening', () => {
  it('hooks every WebContents the app creates', () => {
    hardenWebContents(fake.app as never);
    expect(fake.app.listenerCount('web-contents-created')).toBe(1);
  });

  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'])(
    '%s: blocks other origins and keeps our own',
    (eventName) => {
      const contents = createdContents();
      for (const url of [
        'https://evil.example/',
        'file:///etc/passwd',
        'sightline-app://other/',
        'http://127.0.0.1:8080/',
        'javascript:alert(1)',
      ]) {
        const event = navigation(url);
        contents.emit(eventName, event, url);
        expect(event.preventDefault, url).toHaveBeenCalled();
      }
      const own = navigation('sightline-app://app/rate');
      contents.emit(eventName, own, own.url);
      expect(own.preventDefault).not.toHaveBeenCalled();
    },
  );

  it('denies window.open and target=_blank, even to our own origin', () => {
    const contents = createdContents();
    expect(contents.windowOpenHandler).toBeTypeOf('function');
    expect(contents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'sightline-app://app/' })).toEqual({ action: 'deny' });
  });

  it('refuses to attach a <webview>', () => {
    const contents = createdContents();
    const event = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.preventDefault).toHaveBeenCalled();
  });
});

describe('session hardening', () => {
  const session = fake.session.defaultSession;

  it('denies every permission request and check', () => {
    hardenSession(session as never, { role: 'researcher' });
    const request = session.setPermissionRequestHandler.mock.calls[0][0] as (
      wc: unknown,
      permission: string,
      callback: (granted: boolean) => void,
    ) => void;
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'fullscreen',
    ]) {
      const callback = vi.fn();
      request({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
    }
    const check = session.setPermissionCheckHandler.mock.calls[0][0] as (...args: unknown[]) => boolean;
    expect(check({}, 'media', 'sightline-app://app/', {})).toBe(false);
    const device = session.setDevicePermissionHandler.mock.calls[0][0] as (...args: unknown[]) => boolean;
    expect(device({ deviceType: 'usb' })).toBe(false);
  });

  it('sets our CSP on every response, replacing any other', () => {
    hardenSession(session as never, { role: 'researcher' });
    const listener = session.webRequest.onHeadersReceived.mock.calls[0][0] as (
      details: { responseHeaders?: Record<string, string[]> },
      callback: (response: { responseHeaders: Record<string, string[]> }) => void,
    ) => void;
    const callback = vi.fn();
    listener(
      { responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] } },
      callback,
    );
    const { responseHeaders } = callback.mock.calls[0][0];
    expect(responseHeaders['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(responseHeaders).not.toHaveProperty('content-security-policy');
    expect(responseHeaders['Content-Type']).toEqual(['text/html']);
    const bare = vi.fn();
    listener({}, bare);
    expect(bare.mock.calls[0][0].responseHeaders).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('downloads', () => {
  /** Emits 'will-download' as Electron does and says whether the download was cancelled. */
  function cancelled(session: FakeSession, url: string): boolean {
    const event = { preventDefault: vi.fn() };
    session.emit('will-download', event, fakeDownloadItem(url), new FakeWebContents(session));
    return event.preventDefault.mock.calls.length > 0;
  }

  const elsewhere = [
    'https://evil.example/payload.exe',
    'http://127.0.0.1:8080/api/export',
    'file:///etc/passwd',
    'data:application/octet-stream;base64,TVqQAAMAAAAEAAAA',
    'blob:https://evil.example/0b6c1b9e-4f5e-4a57-9d55-1f0f6d3c7f11',
    'blob:sightline-app://app.evil/0b6c1b9e-4f5e-4a57-9d55-1f0f6d3c7f11',
    'blob:null/0b6c1b9e-4f5e-4a57-9d55-1f0f6d3c7f11',
    'sightline-app://app/assets/app.js',
  ];
  const ownBlob = 'blob:sightline-app://app/0b6c1b9e-4f5e-4a57-9d55-1f0f6d3c7f11';

  it("researcher session: cancels every download except a file the window's own page made (plot SVG/PNG/CSV)", () => {
    const session = fake.session.defaultSession;
    hardenSession(session as never, { role: 'researcher' });
    expect(session.listenerCount('will-download')).toBe(1);
    for (const url of elsewhere) expect(cancelled(session, url), url).toBe(true);
    expect(cancelled(session, ownBlob)).toBe(false);
  });

  it("rater session: cancels every download, its own page's included", () => {
    const session = fake.session.fromPartition('rater-1');
    hardenSession(session as never, { role: 'rater' });
    for (const url of [...elsewhere, ownBlob]) expect(cancelled(session, url), url).toBe(true);
  });
});
