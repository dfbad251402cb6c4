import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/**
 * The renderer runs untrusted-looking content (model outputs, imported images, rater text), so
 * every window is locked down the way VS Code and Actual lock theirs: sandboxed, context-isolated,
 * no Node anywhere, no <webview>, and web security on. The preload is the only door to main.
 */
export function hardenedWebPreferences(preloadPath: string, options: { devTools?: boolean } = {}): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    // A modal loop from a misbehaving page must not freeze the researcher's window.
    safeDialogs: true,
    // Spellcheck would download dictionaries from Google: the app promises to stay offline.
    spellcheck: false,
    devTools: options.devTools ?? true,
  };
}

export interface MainWindowSettings {
  preloadPath: string;
  /** Off in packaged builds. */
  devTools?: boolean;
}

/** Options for the one main window; it stays hidden until its first paint (ready-to-show). */
export function mainWindowOptions(settings: MainWindowSettings): BrowserWindowConstructorOptions {
  return {
    title: 'Sightline',
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#ffffff',
    autoHideMenuBar: true,
    webPreferences: hardenedWebPreferences(settings.preloadPath, { devTools: settings.devTools }),
  };
}

export interface RaterWindowSettings extends MainWindowSettings {
  /** The rater's in-memory session (no `persist:` prefix): nothing of it reaches the disk or another rater. */
  partition: string;
  /** Shown in the title bar so the researcher can tell the windows apart. */
  raterName: string;
}

/** Options for one rater's window: the same hardened preferences and preload, on the rater's own partition. */
export function raterWindowOptions(settings: RaterWindowSettings): BrowserWindowConstructorOptions {
  return {
    title: `Sightline: rating as ${settings.raterName}`,
    width: 1100,
    height: 850,
    minWidth: 700,
    minHeight: 500,
    show: false,
    backgroundColor: '#ffffff',
    autoHideMenuBar: true,
    webPreferences: {
      ...hardenedWebPreferences(settings.preloadPath, { devTools: settings.devTools }),
      partition: settings.partition,
    },
  };
}
