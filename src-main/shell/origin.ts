// The app's own origin inside Electron. The renderer is served from a privileged custom scheme
// instead of file:// so that it has a real origin: CSP 'self', fetch and navigation checks all
// mean "Sightline's own pages" and nothing else on the disk. Plain module: no electron import.

export const APP_SCHEME = 'sightline-app';
export const APP_HOST = 'app';
/** Every page and asset of the window lives below this prefix (note the trailing slash). */
export const APP_ORIGIN_PREFIX = `${APP_SCHEME}://${APP_HOST}/`;
export const APP_URL = APP_ORIGIN_PREFIX;

/** The rater's page as rater windows load it: no token in it, the window's token stays in main. */
export const RATER_PAGE_URL = `${APP_ORIGIN_PREFIX}rate`;

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

function parseAppUrl(url: string | undefined | null): URL | null {
  if (!isAppUrl(url)) return null;
  try {
    return new URL(url as string);
  } catch {
    return null;
  }
}

// The renderer shows the rater UI on `/rate` (roleForPath in src-renderer/src/lib/token.ts).
const RATER_PATH = /^\/rate\/?$/;

/** Whether a URL is the app's rater page, with or without a query. */
export function isRaterPageUrl(url: string | undefined | null): boolean {
  const parsed = parseAppUrl(url);
  return parsed !== null && RATER_PATH.test(parsed.pathname);
}

/** The token of a rater link (`/rate?token=...`, as raters.add and raters.list hand it out), or null. */
export function raterLinkToken(url: string): string | null {
  const parsed = parseAppUrl(url);
  return parsed !== null && RATER_PATH.test(parsed.pathname) ? parsed.searchParams.get('token') || null : null;
}
