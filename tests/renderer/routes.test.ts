// The researcher UI's addresses (issue 15): features by SAE name and index, old row-id links still
// parsed (the page then rewrites them), and the feature list's filters and sort in its address.
import { describe, expect, it } from 'vitest';
import {
  featureFiltersQuery,
  parseFeatureFilters,
  parseRoute,
  routeHref,
  type FeatureFilters,
  type Route,
} from '../../src-renderer/src/researcher/routes';

describe('researcher routes', () => {
  it('addresses a feature by SAE name and index, escaping the name, and still reads old row-id links', () => {
    const route: Route = { page: 'feature', address: { sae: 'demo-sae-L20', index: 7 } };
    expect(routeHref(route)).toBe('#/feature/demo-sae-L20/7');
    expect(parseRoute('#/feature/demo-sae-L20/7')).toEqual(route);
    const odd: Route = { page: 'feature', address: { sae: 'res/L 5?#', index: 0 } };
    expect(routeHref(odd)).toBe('#/feature/res%2FL%205%3F%23/0');
    expect(parseRoute(routeHref(odd))).toEqual(odd);
    // A numeric SAE name is still a name when an index follows it.
    expect(parseRoute('#/feature/12/3')).toEqual({ page: 'feature', address: { sae: '12', index: 3 } });
    expect(parseRoute('#/feature/42')).toEqual({ page: 'feature', address: { featureId: 42 } });
    for (const bad of ['#/feature/0', '#/feature/x', '#/feature/sae/-1', '#/feature/sae/1/2', '#/feature/%E0%A4%A/1'])
      expect(parseRoute(bad), bad).toEqual({ page: 'overview' });
  });

  it('keeps the feature list filters and sort in the address, leaving defaults out', () => {
    expect(routeHref({ page: 'features' })).toBe('#/features');
    expect(routeHref({ page: 'features', filters: { sort: 'index', descending: false } })).toBe('#/features');
    // Max sorts highest first by default, so only the other direction is written.
    expect(featureFiltersQuery({ sort: 'max', descending: true })).toBe('sort=max');
    expect(featureFiltersQuery({ sort: 'max', descending: false })).toBe('sort=max&order=asc');
    expect(featureFiltersQuery({ sort: 'index', descending: true })).toBe('order=desc');
    const filters: FeatureFilters = {
      sae: 'demo-sae-L20',
      sort: 'density',
      descending: false,
      modality: 'image',
      labelled: true,
      search: 'red & blue',
    };
    const href = routeHref({ page: 'features', filters });
    expect(href).toBe(
      '#/features?sae=demo-sae-L20&sort=density&order=asc&modality=image&label=labelled&q=red+%26+blue',
    );
    expect(parseRoute(href)).toEqual({ page: 'features', filters });
    expect(parseFeatureFilters('label=unlabelled')).toEqual({ labelled: false });
  });

  it('drops filter values it does not know instead of guessing', () => {
    expect(parseFeatureFilters('sort=rowid&order=up&modality=sound&label=maybe&q=%20%20&sae=')).toEqual({});
    expect(parseRoute('#/features?sort=max')).toEqual({ page: 'features', filters: { sort: 'max' } });
  });

  it('keeps the other pages where they were', () => {
    for (const route of [
      { page: 'overview' },
      { page: 'campaigns' },
      { page: 'campaign-new', fromSelection: true },
      { page: 'campaign-new', fromSelection: false },
      { page: 'campaign', campaignId: 3 },
      { page: 'campaign-results', campaignId: 3 },
    ] satisfies Route[])
      expect(parseRoute(routeHref(route))).toEqual(route);
  });
});
