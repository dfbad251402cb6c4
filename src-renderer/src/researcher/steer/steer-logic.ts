// Pure helpers of the Steer page: the sweep's k values, its generations grouped by k, the stream tag
// that pairs 'steer.step' events with the request that asked for them, and the form's steer source
// and sampling as the contract takes them.
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
  /** null: an ablate sweep's one cell per prompt */
  k: number | null;
  generations: SweepGeneration[];
}

/** The sweep's generations by k, k in the order the sweep ran them (its cell order). */
export function groupByK(generations: readonly SweepGeneration[]): KGroup[] {
  const groups = new Map<number | null, SweepGeneration[]>();
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

export type SteerMethod = 'add' | 'ablate' | 'cap' | 'clamp';

/** "k = 8" / "k = -1.5" / "ablate" / "clamp" as the steered column's heading. */
export function steerHeading(method: SteerMethod, k: number, layer: number, feature?: number): string {
  if (method === 'ablate') return `ablate v at layer ${layer}`;
  if (method === 'cap') return `cap h·v at ${k}, layer ${layer}`;
  if (method === 'clamp') return `feature ${feature ?? '?'} clamped to ${k}, layer ${layer}`;
  return `k = ${k} at layer ${layer}`;
}

/**
 * What steer.generate and sweeps.start steer with: a stored vector, or for clamp an SAE and one of
 * its features (as `generate --sae NAME --feature N`); a message when the form lacks it.
 */
export function steerSource(
  method: SteerMethod,
  vector: string,
  sae: string,
  feature: number,
  dSae: number | undefined,
): { vector: string } | { sae: string; feature: number } | string {
  if (method !== 'clamp') return vector ? { vector } : 'pick a steering vector';
  if (!sae) return 'clamp: pick an SAE';
  if (!Number.isInteger(feature) || feature < 0) return 'feature: expected a whole number, 0 or more';
  if (dSae !== undefined && feature >= dSae) return `feature: the SAE has ${dSae} features (0–${dSae - 1})`;
  return { sae, feature };
}

export interface SamplingFields {
  sampled: boolean;
  temperature: number;
  topP: number;
  /** empty: the server chooses one (and returns it in the spec) */
  seed: string | number;
}

/** The sampling request of the form (undefined: greedy), or what is wrong with it, in the form's terms. */
export function samplingOf(
  fields: SamplingFields,
): { temperature: number; topP: number; seed?: number } | undefined | string {
  if (!fields.sampled) return undefined;
  if (!Number.isFinite(fields.temperature) || fields.temperature < 0)
    return 'temperature: expected a number, 0 or more (0 is greedy)';
  if (!Number.isFinite(fields.topP) || fields.topP <= 0 || fields.topP > 1)
    return 'top-p: expected a number above 0 and at most 1';
  const seedText = String(fields.seed).trim();
  if (seedText === '') return { temperature: fields.temperature, topP: fields.topP };
  const seed = Number(seedText);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    return 'seed: expected a whole number from 0 to 4294967295, or empty for a new one';
  return { temperature: fields.temperature, topP: fields.topP, seed };
}

/** "KL 0.0123 nats" for a strength, "—" where there is none. */
export function klText(kl: number | null | undefined): string {
  return kl === null || kl === undefined ? '—' : `KL ${kl.toPrecision(3)} nats`;
}
