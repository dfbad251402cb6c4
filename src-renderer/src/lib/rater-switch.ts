// Local rater profiles: the researcher can rate as one of a campaign's raters in the same window
// and come back, without restarting. Both modes navigate to the rater's own link (/rate?token=…):
// main.ts moves that token into this tab's sessionStorage; in a browser the client sends it over
// HTTP, inside Electron it travels as the rater token of each IPC call. The researcher's token
// stays stored (or, in Electron, is not needed), so the way back is a plain link.

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
 * Where "Back to the researcher view" goes, or null when this tab is only a rater's (a LAN rater's
 * browser has no researcher token, so it gets no such link).
 */
export function researcherReturnHref(storage: Pick<Storage, 'getItem'>, inElectron: boolean): string | null {
  if (!inElectron && !storage.getItem(RESEARCHER_TOKEN_KEY)) return null;
  const hash = storage.getItem(RETURN_KEY) ?? '#/campaigns';
  return `/${hash.startsWith('#') ? hash : '#/campaigns'}`;
}
