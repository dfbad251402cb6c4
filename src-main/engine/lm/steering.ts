// Steering as the paper defines it (issue 13): "layer L" is the residual stream entering decoder block
// L (the output of block L-1; transformers' hidden_states[L]), and "add" is h += k*v on the chosen
// positions. The reference pass, the ONNX graph's inputs and the decode loop all describe a steer
// the same way: a delta [d_model] and a per-position mask.
import { AppError } from '../../util/errors.js';

/** prompt only (the paper), generated tokens only, every position, or explicit 0-based indices */
export type SteerPositions = 'prompt' | 'generated' | 'all' | readonly number[];

export interface AddSteer {
  layer: number;
  /** k*v, length d_model */
  delta: ArrayLike<number>;
  positions: SteerPositions;
}

/** 1 where position `index` of a sequence whose first `promptLength` tokens are the prompt is steered. */
export function isSteered(positions: SteerPositions, index: number, promptLength: number): boolean {
  if (positions === 'all') return true;
  if (positions === 'prompt') return index < promptLength;
  if (positions === 'generated') return index >= promptLength;
  return positions.includes(index);
}

/** The mask over positions [start, start + length) of a sequence with a prompt of promptLength. */
export function positionMask(positions: SteerPositions, start: number, length: number, promptLength: number): Float32Array {
  const mask = new Float32Array(length);
  for (let s = 0; s < length; s++) mask[s] = isSteered(positions, start + s, promptLength) ? 1 : 0;
  return mask;
}

export function checkSteerLayer(layer: number, nLayers: number): void {
  // Block L's input exists for L = 0 (the embeddings) .. nLayers-1; after the last block comes the
  // final norm, which transformers' hidden_states[nLayers] already includes, so it is not a layer here.
  if (!Number.isInteger(layer) || layer < 0 || layer >= nLayers) {
    throw new AppError('invalid_input', `steering layer ${layer}: expected an integer in 0..${nLayers - 1} (the residual stream entering block L)`);
  }
}
