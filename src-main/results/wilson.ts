/**
 * Wilson score interval for a binomial proportion (Wilson 1927). Unlike the normal approximation it
 * stays inside [0, 1] and is sensible at 0 or n successes, which steering sweeps hit at k = 0 and
 * at large k. z = 1.959964 gives 95%.
 */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): { lower: number; upper: number } {
  if (n === 0) return { lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // At 0 or n successes the bound is exactly 0 or 1; computed, it can miss by an ulp (0 of 3 gives a
  // lower bound of 5.6e-17), and an interval that does not contain its own estimate breaks plots and checks.
  return {
    lower: successes === 0 ? 0 : Math.max(0, centre - half),
    upper: successes === n ? 1 : Math.min(1, centre + half),
  };
}
