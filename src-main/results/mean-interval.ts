/**
 * Student-t 95% interval for a mean (coherence, relatedness against k). Steering cells hold a few
 * raters' answers each, so the normal z = 1.96 would understate the width; t with n - 1 degrees
 * of freedom is what a paper table reports. One answer gives no spread: the bounds are null.
 */
export interface MeanInterval {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 denominator); null for one answer. */
  sd: number | null;
  lower: number | null;
  upper: number | null;
}

// Two-sided 95% critical values of Student's t for 1..30 degrees of freedom (any statistics table).
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t_{0.975, df}: the table up to 30, then the Cornish–Fisher expansion around z (error < 1e-4 there). */
export function tCritical95(df: number): number {
  if (!Number.isInteger(df) || df < 1)
    throw new RangeError(`tCritical95: degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T_975.length) return T_975[df - 1];
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
  );
}

/** Mean with its t interval from a count, a sum and a sum of squares (so cells accumulate in one pass). */
export function meanInterval(n: number, sum: number, sumOfSquares: number): MeanInterval | null {
  if (n === 0) return null;
  const mean = sum / n;
  if (n === 1) return { n, mean, sd: null, lower: null, upper: null };
  const variance = Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1));
  const sd = Math.sqrt(variance);
  const half = tCritical95(n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, lower: mean - half, upper: mean + half };
}
