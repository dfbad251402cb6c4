// Choosing the next token: greedy (argmax) or temperature + top-p (nucleus) sampling from a seeded
// PRNG, so a sampled generation is replayed exactly from its recorded seed (issue 13). The PRNG is
// util/random.ts's mulberry32, a few lines that Python or R can reproduce by hand.
import { AppError } from '../../util/errors.js';
import { mulberry32, type Rng } from '../../util/random.js';

export interface SamplingOptions {
  /** softmax(logits / temperature); 0 means greedy */
  temperature: number;
  /** keep the smallest set of most likely tokens whose probability reaches topP (default 1: all) */
  topP?: number;
  /** seeds each row's PRNG (every row its own stream from this seed, so a row's tokens do not depend on the rest of the batch) */
  seed: number;
}

export function checkSampling(options: SamplingOptions): void {
  const { temperature, topP = 1, seed } = options;
  if (!Number.isFinite(temperature) || temperature < 0)
    throw new AppError('invalid_input', `temperature ${temperature}: expected a finite number >= 0 (0 is greedy)`);
  if (!Number.isFinite(topP) || topP <= 0 || topP > 1)
    throw new AppError('invalid_input', `top-p ${topP}: expected a number in (0, 1]`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new AppError('invalid_input', `seed ${seed}: expected an integer in 0..4294967295`);
}

/** Index of the largest value (the first of equals, as ONNX ArgMax). */
export function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/** One PRNG per row, each from the same seed. */
export function rowRngs(options: SamplingOptions, rows: number): Rng[] {
  return Array.from({ length: rows }, () => mulberry32(options.seed));
}

/**
 * The tokens sampling can draw and their probabilities (most likely first, ties to the lower id),
 * after temperature and top-p, summing to 1.
 */
export function nucleus(
  logits: ArrayLike<number>,
  offset: number,
  vocab: number,
  options: Pick<SamplingOptions, 'temperature' | 'topP'>,
): { ids: number[]; probs: number[] } {
  const { temperature, topP = 1 } = options;
  if (temperature === 0) return { ids: [argmax(logits, offset, vocab)], probs: [1] };
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
  const weights = new Float64Array(vocab);
  let total = 0;
  for (let i = 0; i < vocab; i++) total += weights[i] = Math.exp((logits[offset + i] - max) / temperature);
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);
  const ids: number[] = [];
  const probs: number[] = [];
  let kept = 0;
  for (const id of order) {
    ids.push(id);
    probs.push(weights[id] / total);
    kept += weights[id] / total;
    // Always at least one token; a tiny top-p is greedy.
    if (kept >= topP) break;
  }
  return { ids, probs: probs.map((p) => p / kept) };
}

/** The next token of one row: greedy without options, else one draw from the nucleus. */
export function chooseToken(
  logits: ArrayLike<number>,
  offset: number,
  vocab: number,
  options?: SamplingOptions,
  rng?: Rng,
): number {
  if (!options || options.temperature === 0) return argmax(logits, offset, vocab);
  if (!rng) throw new AppError('internal', 'sampling needs a PRNG');
  const { ids, probs } = nucleus(logits, offset, vocab, options);
  let u = rng();
  for (let i = 0; i < ids.length; i++) {
    u -= probs[i];
    if (u < 0) return ids[i];
  }
  return ids[ids.length - 1]; // rounding left u a hair above 0
}
