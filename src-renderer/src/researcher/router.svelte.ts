// A tiny hash router for the researcher UI: #/overview, #/features, #/feature/<id>, #/campaigns,
// #/campaigns/new (#/campaigns/new/features: from the feature list's selection), #/campaign/<id>,
// #/campaign/<id>/results, #/steer.
// Hash routes keep every page reachable from the one index.html the server and the shell load.

export type Route =
  | { page: 'overview' }
  | { page: 'features' }
  | { page: 'feature'; featureId: number }
  | { page: 'campaigns' }
  | { page: 'campaign-new'; fromSelection: boolean }
  | { page: 'campaign'; campaignId: number }
  | { page: 'campaign-results'; campaignId: number }
  | { page: 'steer' };

const positiveId = (text: string | undefined): number | null =>
  text && /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : null;

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, arg, rest] = path.split('/');
  if (head === 'features') return { page: 'features' };
  if (head === 'steer') return { page: 'steer' };
  if (head === 'campaigns' && arg === 'new') return { page: 'campaign-new', fromSelection: rest === 'features' };
  if (head === 'campaigns') return { page: 'campaigns' };
  const id = positiveId(arg);
  if (head === 'feature' && id) return { page: 'feature', featureId: id };
  if (head === 'campaign' && id && rest === 'results') return { page: 'campaign-results', campaignId: id };
  if (head === 'campaign' && id) return { page: 'campaign', campaignId: id };
  return { page: 'overview' };
}

export function routeHref(route: Route): string {
  if (route.page === 'feature') return `#/feature/${route.featureId}`;
  if (route.page === 'campaign') return `#/campaign/${route.campaignId}`;
  if (route.page === 'campaign-results') return `#/campaign/${route.campaignId}/results`;
  if (route.page === 'campaign-new') return route.fromSelection ? '#/campaigns/new/features' : '#/campaigns/new';
  return `#/${route.page}`;
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
