// Steering as the paper defines it (issue 13): "layer L" is the residual stream entering decoder block
// L (the output of block L-1; transformers' hidden_states[L]), and "add" is h += k*v on the chosen
// positions. The reference pass, the ONNX graph's inputs and the decode loop all describe a steer
// the same way: a delta [d_model] and a per-position mask.
import { AppError } from '../../util/errors.js';
import type { SaeFeatureRow } from './sae-clamp.js';

/** prompt only (the paper), generated tokens only, every position, or explicit 0-based indices */
export type SteerPositions = 'prompt' | 'generated' | 'all' | readonly number[];

/** h += k*v on the steered positions (the paper's method) */
export interface AddSteer {
  method?: 'add';
  layer: number;
  /** k*v, length d_model */
  delta: ArrayLike<number>;
  positions: SteerPositions;
}

/**
 * Directional ablation (h -= (h.v)v) and projection cap (h.v limited to at most `cap`, as
 * Neuronpedia's steering offers), both "clip the projection onto unit v to [lo, hi]":
 * h -= (p - clip(p, lo, hi)) v with p = h.v; ablation is [0, 0], a cap is [-inf, cap].
 */
export interface ProjectionSteer {
  method: 'ablate' | 'cap';
  layer: number;
  /** unit vector v, length d_model */
  direction: ArrayLike<number>;
  /** the cap c (method 'cap') */
  cap?: number;
  positions: SteerPositions;
}

/**
 * SAE-feature clamp: set feature i of an SAE to `value` on the steered positions,
 * h += (value - f_i(h)) W_dec[i] (lm/sae-clamp.ts builds the row from an SAE and says how f_i is read).
 */
export interface ClampSteer {
  method: 'clamp';
  layer: number;
  feature: SaeFeatureRow;
  value: number;
  positions: SteerPositions;
}

export type Steer = AddSteer | ProjectionSteer | ClampSteer;

export function isProjection(steer: Steer): steer is ProjectionSteer {
  return steer.method === 'ablate' || steer.method === 'cap';
}

export function isClamp(steer: Steer): steer is ClampSteer {
  return steer.method === 'clamp';
}

export function isAdd(steer: Steer): steer is AddSteer {
  return steer.method === undefined || steer.method === 'add';
}

/** [lo, hi] the projection onto the direction is clipped to. */
export function projectionBounds(steer: ProjectionSteer): [number, number] {
  if (steer.method === 'ablate') return [0, 0];
  if (steer.cap === undefined || !Number.isFinite(steer.cap))
    throw new AppError('invalid_input', `projection cap at layer ${steer.layer}: expected a finite cap`);
  return [-Infinity, steer.cap];
}

/** 1 where position `index` of a sequence whose first `promptLength` tokens are the prompt is steered. */
export function isSteered(positions: SteerPositions, index: number, promptLength: number): boolean {
  if (positions === 'all') return true;
  if (positions === 'prompt') return index < promptLength;
  if (positions === 'generated') return index >= promptLength;
  return positions.includes(index);
}

/** The mask over positions [start, start + length) of a sequence with a prompt of promptLength. */
export function positionMask(
  positions: SteerPositions,
  start: number,
  length: number,
  promptLength: number,
): Float32Array {
  const mask = new Float32Array(length);
  for (let s = 0; s < length; s++) mask[s] = isSteered(positions, start + s, promptLength) ? 1 : 0;
  return mask;
}

export function checkSteerLayer(layer: number, nLayers: number): void {
  // Block L's input exists for L = 0 (the embeddings) .. nLayers-1; after the last block comes the
  // final norm, which transformers' hidden_states[nLayers] already includes, so it is not a layer here.
  if (!Number.isInteger(layer) || layer < 0 || layer >= nLayers) {
    throw new AppError(
      'invalid_input',
      `steering layer ${layer}: expected an integer in 0..${nLayers - 1} (the residual stream entering block L)`,
    );
  }
}
