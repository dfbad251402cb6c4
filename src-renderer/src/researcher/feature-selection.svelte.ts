// The features the researcher ticked in the feature list. It lives for the window (not in the URL,
// which could not hold 100,000 ids) so "Rate these features" can hand it to the campaign builder.
import { SvelteSet } from 'svelte/reactivity';

export class FeatureSelection {
  readonly ids = new SvelteSet<number>();

  has(id: number): boolean {
    return this.ids.has(id);
  }

  toggle(id: number): void {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
  }

  addAll(ids: Iterable<number>): void {
    for (const id of ids) this.ids.add(id);
  }

  clear(): void {
    this.ids.clear();
  }

  get size(): number {
    return this.ids.size;
  }

  /** In the order they were ticked. */
  list(): number[] {
    return [...this.ids];
  }
}

export const featureSelection = new FeatureSelection();
