// Pure helpers of the Steer page: the sweep's k values, its generations grouped by k, and the stream
// tag that pairs 'steer.step' events with the request that asked for them.
import type { SweepGeneration } from '../../../../src-main/contract';

/**
 * n values from `from` to `to` inclusive, evenly spaced: the same values as `sightline sweep --k
 * a:b:n` (src-main/steer/sweep-spec.ts parseKValues; the renderer imports the contract's types only).
 */
export function kValues(from: number, to: number, count: number): number[] | string {
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'k: from and to must be numbers';
  if (!Number.isInteger(count) || count < 1 || count > 10_000)
    return 'k: the number of values must be a whole number from 1 to 10000';
  if (count === 1 && from !== to) return 'k: one value cannot run from one k to another; make from and to equal';
  const values = Array.from({ length: count }, (_, i) =>
    count === 1 ? from : i === count - 1 ? to : from + ((to - from) * i) / (count - 1),
  );
  return new Set(values).size === values.length ? values : 'k: each k once (from and to are equal)';
}

export interface KGroup {
  k: number;
  generations: SweepGeneration[];
}

/** The sweep's generations by k, k in the order the sweep ran them (its cell order). */
export function groupByK(generations: readonly SweepGeneration[]): KGroup[] {
  const groups = new Map<number, SweepGeneration[]>();
  for (const generation of generations) {
    const group = groups.get(generation.k);
    if (group) group.push(generation);
    else groups.set(generation.k, [generation]);
  }
  return [...groups].map(([k, list]) => ({ k, generations: list }));
}

/** For each prompt of a k group, its k = 0 answer in the same sweep (when the sweep has k = 0). */
export function baselineOf(generations: readonly SweepGeneration[], promptIndex: number): string | null {
  return generations.find((g) => g.promptIndex === promptIndex && g.k === 0)?.text ?? null;
}

let streams = 0;
/** A tag unique to this page and request (events of other windows' generations carry their own). */
export function newStreamTag(random: () => number = Math.random): string {
  streams++;
  return `steer-${streams}-${Math.floor(random() * 2 ** 32).toString(36)}`;
}

/** "k = 8" / "k = -1.5" / "ablate" as the steered column's heading. */
export function steerHeading(method: 'add' | 'ablate' | 'cap', k: number, layer: number): string {
  if (method === 'ablate') return `ablate v at layer ${layer}`;
  if (method === 'cap') return `cap h·v at ${k}, layer ${layer}`;
  return `k = ${k} at layer ${layer}`;
}
