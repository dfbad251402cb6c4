// Feature rows for a virtualised table: pages of PAGE_SIZE fetched by offset/limit on demand, so
// 100k features cost only the pages that have been scrolled into view.
import type { FeatureListRow, MethodInput } from '../../../src-main/contract';
import { call, errorText } from '../lib/client';

export const PAGE_SIZE = 200;

export type FeatureQuery = Pick<
  MethodInput<'features.list'>,
  'saeId' | 'sort' | 'descending' | 'modality' | 'labelled' | 'search'
>;

export class FeaturePages {
  total = $state<number | null>(null);
  /** page index → rows; replaced (not mutated) so readers re-render. */
  pages = $state.raw<Map<number, FeatureListRow[]>>(new Map());
  error = $state<string | null>(null);

  private query: FeatureQuery = { sort: 'index', descending: false };
  private loading = new Set<number>();
  /** Bumped on every new query so answers to an older query are dropped. */
  private generation = 0;

  setQuery(query: FeatureQuery): void {
    this.query = query;
    this.generation++;
    this.loading.clear();
    this.pages = new Map();
    this.total = null;
    void this.loadPage(0);
  }

  /** Every feature id matching the current query (for "select all"), 1,000 per call, at most `max`. */
  async allIds(max = 100_000): Promise<number[]> {
    const ids: number[] = [];
    for (let offset = 0; offset < max; offset += 1000) {
      const result = await call('features.list', { ...this.query, offset, limit: Math.min(1000, max - offset) });
      ids.push(...result.rows.map((row) => row.id));
      if (result.rows.length === 0 || offset + result.rows.length >= result.total) break;
    }
    return ids;
  }

  row(index: number): FeatureListRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Makes sure the pages covering rows [first, last] are loaded or loading. */
  ensure(first: number, last: number): void {
    const limit = this.total ?? 0;
    if (limit === 0) return;
    const lastRow = Math.min(last, limit - 1);
    for (let page = Math.floor(Math.max(0, first) / PAGE_SIZE); page <= Math.floor(lastRow / PAGE_SIZE); page++)
      void this.loadPage(page);
  }

  private async loadPage(page: number): Promise<void> {
    if (this.pages.has(page) || this.loading.has(page)) return;
    const generation = this.generation;
    this.loading.add(page);
    try {
      const result = await call('features.list', { ...this.query, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      if (generation !== this.generation) return;
      this.total = result.total;
      const pages = new Map(this.pages);
      pages.set(page, result.rows);
      this.pages = pages;
      this.error = null;
    } catch (error) {
      if (generation === this.generation) this.error = errorText(error);
    } finally {
      if (generation === this.generation) this.loading.delete(page);
    }
  }
}
