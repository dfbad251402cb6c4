// Feature rows for a virtualised table: pages of PAGE_SIZE fetched by offset/limit on demand, so
// 100k features cost only the pages that have been scrolled into view.
import type { FeatureRow, MethodInput } from '../../../src-main/contract';
import { call, errorText } from '../lib/client';

export const PAGE_SIZE = 200;

export type FeatureQuery = Pick<MethodInput<'features.list'>, 'saeId' | 'sort' | 'descending' | 'modality' | 'search'>;

export class FeaturePages {
  total = $state<number | null>(null);
  /** page index → rows; replaced (not mutated) so readers re-render. */
  pages = $state.raw<Map<number, FeatureRow[]>>(new Map());
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

  row(index: number): FeatureRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Makes sure the pages covering rows [first, last] are loaded or loading. */
  ensure(first: number, last: number): void {
    const limit = this.total ?? 0;
    if (limit === 0) return;
    const lastRow = Math.min(last, limit - 1);
    for (let page = Math.floor(Math.max(0, first) / PAGE_SIZE); page <= Math.floor(lastRow / PAGE_SIZE); page++) void this.loadPage(page);
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
