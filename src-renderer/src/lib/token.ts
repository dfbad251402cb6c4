// The access token arrives once in the address bar (?token=…), is kept for this tab in
// sessionStorage, and is removed from the visible URL so it is not shoulder-surfed, bookmarked or
// copied along with a screenshot.

export type Role = 'researcher' | 'rater';

const storageKey = (role: Role) => `sightline.token.${role}`;

export interface TokenEnvironment {
  location: Pick<Location, 'href'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
  history: Pick<History, 'replaceState'>;
}

/** Which UI a path belongs to: `/rate` is the rater's, anything else the researcher's. */
export function roleForPath(pathname: string): Role {
  return /\/rate\/?$/.test(pathname) ? 'rater' : 'researcher';
}

/** Reads ?token= (moving it into sessionStorage and out of the address bar) or the stored token. */
export function takeToken(role: Role, env: TokenEnvironment): string | null {
  const url = new URL(env.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    env.storage.setItem(storageKey(role), fromUrl);
    url.searchParams.delete('token');
    env.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return env.storage.getItem(storageKey(role));
}
