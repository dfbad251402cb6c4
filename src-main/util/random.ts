// Seeded randomness. Every random choice Sightline records (option order, tie-breaks, bootstrap
// resamples) must be reproducible from a stored seed, so nothing here touches Math.random.

/** A function returning a float in [0, 1), the same sequence for the same seed. */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): 32-bit state, passes PractRand to 2^32 outputs, and is
 * a few lines, so a seed written into an export can be replayed in Python or R by hand.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomIndex(n: number, rng: Rng): number {
  return Math.floor(rng() * n);
}

/** Fisher–Yates, in place; returns the same array for chaining. Uniform over all n! orders. */
export function shuffleInPlace<T>(array: T[], rng: Rng): T[] {
  for (let i = array.length - 1; i > 0; i--) {
    const j = randomIndex(i + 1, rng);
    const held = array[i];
    array[i] = array[j];
    array[j] = held;
  }
  return array;
}

const utf8 = new TextEncoder();

/**
 * A stable unsigned 32-bit hash of its parts, for deriving seeds such as (campaignSeed, raterId).
 * Each part is tagged with its type and length, so hashSeed('ab', 'c') !== hashSeed('a', 'bc') and
 * hashSeed(1) !== hashSeed('1'). FNV-1a over UTF-8 keeps it reproducible outside JavaScript; the
 * murmur3 finaliser spreads FNV's weak low bits before the value is used as a PRNG seed.
 */
export function hashSeed(...parts: (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    const text = typeof part === 'number' ? `n${part}` : `s${part}`;
    const bytes = utf8.encode(`${text.length}:${text}`);
    for (const byte of bytes) {
      hash ^= byte;
      hash = Math.imul(hash, 0x01000193);
    }
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
