// The researcher UI's addresses, as plain functions (router.svelte.ts follows the address bar with them):
//   #/overview, #/features?sae=…&sort=…&order=…&modality=…&label=…&q=…, #/feature/<sae>/<index>,
//   #/campaigns, #/campaigns/new (#/campaigns/new/features: from the feature list's selection),
//   #/campaign/<id>, #/campaign/<id>/results, #/steer, #/probes (#/probes/<run id>: one probe run).
// A feature's address is its SAE's name and its index, as people say it and as the CLI takes it
// (issue 15); #/feature/<row id> from older links still opens, and the page then rewrites the address.
// The feature list keeps its filters and sort in the address, so "back" from a feature returns to them.
import type { Modality } from '../../../src-main/contract';

export type FeatureSortKey = 'index' | 'density' | 'max' | 'image_share';

/** What the feature list shows; every field left out is the default (all features, by index). */
export interface FeatureFilters {
  sae?: string;
  sort?: FeatureSortKey;
  descending?: boolean;
  modality?: Modality;
  labelled?: boolean;
  search?: string;
}

export type FeatureAddress = { featureId: number } | { sae: string; index: number };

export type Route =
  | { page: 'overview' }
  | { page: 'features'; filters?: FeatureFilters }
  | { page: 'feature'; address: FeatureAddress }
  | { page: 'campaigns' }
  | { page: 'campaign-new'; fromSelection: boolean }
  | { page: 'campaign'; campaignId: number }
  | { page: 'campaign-results'; campaignId: number }
  | { page: 'steer' }
  | { page: 'probes'; runId?: number };

const positiveId = (text: string | undefined): number | null =>
  text && /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : null;

const SORT_KEYS: readonly FeatureSortKey[] = ['index', 'density', 'max', 'image_share'];
const MODALITIES: readonly Modality[] = ['image', 'text', 'shared', 'dead'];

/** Reads the list's filters from a query string; values it does not know are dropped, not guessed. */
export function parseFeatureFilters(query: string): FeatureFilters {
  const params = new URLSearchParams(query);
  const filters: FeatureFilters = {};
  const sae = params.get('sae');
  if (sae) filters.sae = sae;
  const sort = params.get('sort') as FeatureSortKey | null;
  if (sort && SORT_KEYS.includes(sort)) filters.sort = sort;
  const order = params.get('order');
  if (order === 'desc' || order === 'asc') filters.descending = order === 'desc';
  const modality = params.get('modality') as Modality | null;
  if (modality && MODALITIES.includes(modality)) filters.modality = modality;
  const label = params.get('label');
  if (label === 'labelled' || label === 'unlabelled') filters.labelled = label === 'labelled';
  const search = params.get('q')?.trim();
  if (search) filters.search = search;
  return filters;
}

/** The query string for the list's filters ('' for the defaults), in a fixed order so equal filters give equal addresses. */
export function featureFiltersQuery(filters: FeatureFilters): string {
  const params = new URLSearchParams();
  if (filters.sae) params.set('sae', filters.sae);
  if (filters.sort && filters.sort !== 'index') params.set('sort', filters.sort);
  // The order is written only when it is not the sort's default (index ascending, the rest highest first).
  if (filters.descending !== undefined && filters.descending !== defaultDescending(filters.sort ?? 'index'))
    params.set('order', filters.descending ? 'desc' : 'asc');
  if (filters.modality) params.set('modality', filters.modality);
  if (filters.labelled !== undefined) params.set('label', filters.labelled ? 'labelled' : 'unlabelled');
  if (filters.search) params.set('q', filters.search);
  return params.toString();
}

/** The default direction of a sort: ascending by index, otherwise highest first. */
export const defaultDescending = (sort: FeatureSortKey): boolean => sort !== 'index';

export function parseRoute(hash: string): Route {
  const full = hash.replace(/^#\/?/, '');
  const queryAt = full.indexOf('?');
  const path = queryAt < 0 ? full : full.slice(0, queryAt);
  const query = queryAt < 0 ? '' : full.slice(queryAt + 1);
  const [head, arg, rest, extra] = path.split('/');
  if (head === 'features') return { page: 'features', filters: parseFeatureFilters(query) };
  if (head === 'steer') return { page: 'steer' };
  if (head === 'probes')
    return positiveId(arg) ? { page: 'probes', runId: positiveId(arg) as number } : { page: 'probes' };
  if (head === 'campaigns' && arg === 'new') return { page: 'campaign-new', fromSelection: rest === 'features' };
  if (head === 'campaigns') return { page: 'campaigns' };
  if (head === 'feature' && arg && rest !== undefined && extra === undefined && /^\d+$/.test(rest)) {
    const sae = safeDecode(arg);
    if (sae) return { page: 'feature', address: { sae, index: Number(rest) } };
  }
  const id = positiveId(arg);
  if (head === 'feature' && id && rest === undefined) return { page: 'feature', address: { featureId: id } };
  if (head === 'campaign' && id && rest === 'results') return { page: 'campaign-results', campaignId: id };
  if (head === 'campaign' && id) return { page: 'campaign', campaignId: id };
  return { page: 'overview' };
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export function routeHref(route: Route): string {
  if (route.page === 'feature')
    return 'featureId' in route.address
      ? `#/feature/${route.address.featureId}`
      : `#/feature/${encodeURIComponent(route.address.sae)}/${route.address.index}`;
  if (route.page === 'features') {
    const query = featureFiltersQuery(route.filters ?? {});
    return query ? `#/features?${query}` : '#/features';
  }
  if (route.page === 'campaign') return `#/campaign/${route.campaignId}`;
  if (route.page === 'probes') return route.runId ? `#/probes/${route.runId}` : '#/probes';
  if (route.page === 'campaign-results') return `#/campaign/${route.campaignId}/results`;
  if (route.page === 'campaign-new') return route.fromSelection ? '#/campaigns/new/features' : '#/campaigns/new';
  return `#/${route.page}`;
}
