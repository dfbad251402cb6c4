import type { Proportion } from '../contract/results';
import { wilsonInterval } from './wilson';

/** successes / n with its Wilson 95% interval (rate null for n = 0, interval then [0, 1]). */
export function proportion(successes: number, n: number): Proportion {
  return { successes, n, rate: n ? successes / n : null, ...wilsonInterval(successes, n) };
}

/** Numbers inside text compare as numbers: "k=5" before "k=10", "q2" before "q10" (issue 15). */
export const numericOrder = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });
