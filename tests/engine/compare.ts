import { expect } from 'vitest';
import { topKPerRow } from '../../src-main/engine/reference.js';

const close = (a: number, b: number, rel = 1e-4) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

/**
 * ORT top-k vs the dense reference: values match within 1e-4 relative; every returned index
 * carries that value in the reference (robust to ties); indices match exactly where untied.
 */
export function expectTopKMatches(
  values: ArrayLike<number>,
  indices: ArrayLike<number | bigint>,
  dense: Float32Array,
  n: number,
  dSae: number,
  k: number,
): void {
  const ref = topKPerRow(dense, n, dSae, k);
  expect(values.length).toBe(n * k);
  for (let r = 0; r < n; r++) {
    const row = dense.subarray(r * dSae, (r + 1) * dSae);
    for (let t = 0; t < k; t++) {
      const v = values[r * k + t];
      const refV = ref.values[r * k + t];
      const idx = Number(indices[r * k + t]);
      if (!close(v, refV)) throw new Error(`row ${r} rank ${t}: value ${v} vs reference ${refV}`);
      if (!close(row[idx], v))
        throw new Error(`row ${r} rank ${t}: feature ${idx} has reference ${row[idx]}, ORT says ${v}`);
      const tied = row.some((other, j) => j !== ref.indices[r * k + t] && close(other, refV, 1e-5));
      if (!tied && idx !== ref.indices[r * k + t])
        throw new Error(`row ${r} rank ${t}: feature ${idx} vs reference ${ref.indices[r * k + t]}`);
    }
  }
}
