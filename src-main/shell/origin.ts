// The app's own origin inside Electron. The renderer is served from a privileged custom scheme
// instead of file:// so that it has a real origin: CSP 'self', fetch and navigation checks all
// mean "Sightline's own pages" and nothing else on the disk. Plain module: no electron import.

export const APP_SCHEME = 'sightline-app';
export const APP_HOST = 'app';
/** Every page and asset of the window lives below this prefix (note the trailing slash). */
export const APP_ORIGIN_PREFIX = `${APP_SCHEME}://${APP_HOST}/`;
export const APP_URL = APP_ORIGIN_PREFIX;

/**
 * Whether a URL belongs to the app. A prefix test is enough because the prefix ends in the
 * authority's closing slash: `sightline-app://app.evil/` or `sightline-app://app@evil/` cannot match.
 */
export function isAppUrl(url: string | undefined | null): boolean {
  return typeof url === 'string' && url.startsWith(APP_ORIGIN_PREFIX);
}

/**
 * Whether a URL is a blob the app's own page made (URL.createObjectURL on our origin serialises as
 * `blob:sightline-app://app/<uuid>`). Only script running on our origin can mint one.
 */
export function isOwnBlobUrl(url: string | undefined | null): boolean {
  return typeof url === 'string' && url.startsWith(`blob:${APP_ORIGIN_PREFIX}`);
}
