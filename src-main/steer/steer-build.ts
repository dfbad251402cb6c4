// One steer from what the user named (a method, a vector or an SAE feature, a layer, positions and a
// strength k), shared by `generate` and `sweep` so that a cell of a sweep and the same `generate`
// steer the model identically. What k means depends on the method (issue 13):
//   add     h += k·v (v as stored)              ablate  h -= (h·v̂)v̂ (no k)
//   cap     h·v̂ limited to at most c = k       clamp   SAE feature i set to c = k
import { checkSampling, type SamplingOptions } from '../engine/lm/sampling';
import type { SaeFeatureRow } from '../engine/lm/sae-clamp';
import type { Steer, SteerPositions } from '../engine/lm/steering';
import { AppError } from '../util/errors';

export type SteerMethod = 'add' | 'ablate' | 'cap' | 'clamp';

/** What a steer writes along: a vector's values (add, ablate, cap), or one SAE feature (clamp). */
export type SteerBasis =
  | { kind: 'vector'; values: Float32Array /** named in errors */; label: string }
  | { kind: 'sae'; row: SaeFeatureRow };

/** Sampling as asked for: top-p 1 and the seed chosen by the caller when absent. */
export interface SamplingRequest {
  temperature: number;
  topP?: number | undefined;
  seed?: number | undefined;
}

/** The sampling that runs and is recorded, checked; `defaultSeed` when the request names none. */
export function resolveSampling(
  request: SamplingRequest | undefined,
  defaultSeed: () => number,
): Required<SamplingOptions> | undefined {
  if (!request) return undefined;
  const sampling = { temperature: request.temperature, topP: request.topP ?? 1, seed: request.seed ?? defaultSeed() };
  checkSampling(sampling);
  return sampling;
}

/** The unit in which each method's k is given, for the steering spec. */
export const COEFFICIENT_UNITS: Record<SteerMethod, string> = {
  add: 'k·v (v as stored)',
  ablate: 'none (directional ablation)',
  cap: 'cap c on h·v̂ (v normalised)',
  clamp: 'SAE feature activation c',
};

/** Refuses a method without the basis it needs (before anything runs), and a missing or stray k. */
export function checkSteerRequest(method: SteerMethod, basis: SteerBasis, k: number | null | undefined): void {
  if ((method === 'clamp') !== (basis.kind === 'sae'))
    throw new AppError(
      'invalid_input',
      method === 'clamp'
        ? '--method clamp needs --sae NAME --feature N (the feature to clamp), not a vector'
        : `--method ${method} needs a vector (--vector or --vector-file), not --sae`,
    );
  if (method === 'ablate' && k !== undefined && k !== null)
    throw new AppError('invalid_input', '--k: ablate removes the whole projection onto v; it takes no k');
  if (method !== 'ablate' && (k === undefined || k === null))
    throw new AppError('invalid_input', `--k is required with --method ${method}`);
  if (basis.kind === 'vector' && (method === 'ablate' || method === 'cap') && !(norm(basis.values) > 0))
    throw new AppError(
      'invalid_input',
      `${basis.label}: a zero vector has no direction to ${method === 'ablate' ? 'ablate' : 'cap'}`,
    );
}

/**
 * The engine's steer for one k (null for ablate), or undefined when it changes nothing: `add` with
 * k = 0, which then decodes as the batch's unsteered row (the same tokens: h + 0·v is h) and serves
 * as the baseline of the other rows' KL strength.
 */
export function buildSteer(
  method: SteerMethod,
  basis: SteerBasis,
  layer: number,
  positions: SteerPositions,
  k: number | null,
): Steer | undefined {
  if (basis.kind === 'sae') return { method: 'clamp', layer, feature: basis.row, value: k!, positions };
  const v = basis.values;
  if (method === 'add') return k === 0 ? undefined : { method: 'add', layer, delta: v.map((x) => k! * x), positions };
  // Ablation and the cap act along the unit direction of v.
  const length = norm(v);
  const direction = v.map((x) => x / length);
  return method === 'cap'
    ? { method: 'cap', layer, direction, cap: k!, positions }
    : { method: 'ablate', layer, direction, positions };
}

/** Euclidean length (a loop: spreading d_model values into Math.hypot's arguments fails on large models). */
function norm(values: Float32Array): number {
  let sum = 0;
  for (const x of values) sum += x * x;
  return Math.sqrt(sum);
}
