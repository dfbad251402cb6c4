// Local rater profiles: the researcher can rate as one of a campaign's raters without restarting.
// Both modes navigate to the rater's own link (/rate?token=…). In a browser this tab becomes the
// rater's: main.ts moves that token into sessionStorage, the client sends it over HTTP, and the
// researcher's token stays stored, so the way back is a plain link. Inside Electron the shell stops
// that navigation and opens the rater in a window of their own whose calls carry the token bound in
// main (src-main/shell/rater-windows.ts); the researcher's window stays where it was.

const RETURN_KEY = 'sightline.researcherReturn';
const RESEARCHER_TOKEN_KEY = 'sightline.token.researcher';

export interface SwitchEnvironment {
  location: Pick<Location, 'hash' | 'assign'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/** Opens a rater's link (path + query from the API) in this window, remembering where to come back to. */
export function rateAs(link: string, env: SwitchEnvironment): void {
  env.storage.setItem(RETURN_KEY, env.location.hash || '#/campaigns');
  env.location.assign(link);
}

/**
 * Where "Back to the researcher view" goes, or null when this tab is only a rater's: a LAN rater's
 * browser has no researcher token, and inside Electron a rater page is always a rater's own window
 * (closing it is the way back; it could not show the researcher's pages anyway).
 */
export function researcherReturnHref(storage: Pick<Storage, 'getItem'>, inElectron: boolean): string | null {
  if (inElectron || !storage.getItem(RESEARCHER_TOKEN_KEY)) return null;
  const hash = storage.getItem(RETURN_KEY) ?? '#/campaigns';
  return `/${hash.startsWith('#') ? hash : '#/campaigns'}`;
}
