// The Euclidean length of a vector of any size: Math.hypot(...values) spreads its argument onto the
// stack and throws for vectors past ~120k values.
export function l2Norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}
