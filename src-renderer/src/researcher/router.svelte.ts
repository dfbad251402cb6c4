// A tiny hash router for the researcher UI: #/overview, #/features, #/feature/<id>, #/campaigns.
// Hash routes keep every page reachable from the one index.html the server and the shell load.

export type Route = { page: 'overview' } | { page: 'features' } | { page: 'feature'; featureId: number } | { page: 'campaigns' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, arg] = path.split('/');
  if (head === 'features') return { page: 'features' };
  if (head === 'campaigns') return { page: 'campaigns' };
  if (head === 'feature' && arg && /^\d+$/.test(arg) && Number(arg) > 0) return { page: 'feature', featureId: Number(arg) };
  return { page: 'overview' };
}

export function routeHref(route: Route): string {
  return route.page === 'feature' ? `#/feature/${route.featureId}` : `#/${route.page}`;
}

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
