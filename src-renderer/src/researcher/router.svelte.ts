// A tiny hash router for the researcher UI (the addresses are in routes.ts). Hash routes keep every
// page reachable from the one index.html the server and the shell load.
import { parseRoute, routeHref, type Route } from './routes';

export * from './routes';

export class Router {
  route = $state<Route>(parseRoute(location.hash));

  /** Starts following the address bar; returns the stop function. */
  listen(): () => void {
    const update = () => (this.route = parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }

  go(route: Route): void {
    location.hash = routeHref(route);
  }
}

/**
 * Rewrites the address without a new history entry and without re-rendering the page: for a page
 * whose own state the address mirrors (the feature list's filters), or that learnt its canonical
 * address (a feature opened by an old row-id link). "Back" then skips the intermediate states.
 */
export function replaceAddress(route: Route): void {
  const href = routeHref(route);
  if (location.hash !== href) history.replaceState(history.state, '', href);
}

/**
 * Where "← Features" on a feature page goes: the list as the researcher left it (its address with
 * filters and sort), for the window's life. A plain object, as nothing re-renders when it changes.
 */
export const featureListMemory = { href: routeHref({ page: 'features' }) };
