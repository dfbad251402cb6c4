// The cosine of a steering vector with every decoder row of an SAE, and the features at either end:
// the paper's reconstruction of steering vectors from SAE features (issue 14). Runs in the engine
// worker (handlers.ts): the paper's SAE is 32,768 x 4,096 floats, a 65k-wide one twice that, and a
// pass over it must not hold up the thread that answers the UI.
import { AppError, badFile } from '../util/errors.js';

export interface FeatureCosine {
  feature: number;
  cosine: number;
}

export interface DecoderCosineRanking {
  /** highest cosine first */
  top: FeatureCosine[];
  /** most negative first */
  bottom: FeatureCosine[];
  /** decoder rows of norm 0 (no direction, so no cosine): left out of both lists */
  zeroRows: number;
}

/**
 * Ranks the rows of W_dec [dSae, dIn] by cosine with `vector` [dIn]. Sums are float64, so a 4,096-long
 * dot product keeps float32's precision; ties go to the lower feature index, so the order is stable.
 * A row holding NaN or Infinity refuses the SAE (bad_file naming `decoderFile`, W_dec and the row)
 * rather than being skipped like a zero row: it means a diverged or damaged SAE, whose other rows are
 * then no ground to rank against, and a NaN cosine would break the sort's order for every row.
 */
export function rankDecoderCosines(
  W_dec: Float32Array,
  dIn: number,
  dSae: number,
  vector: Float32Array,
  count: number,
  decoderFile: string,
): DecoderCosineRanking {
  if (vector.length !== dIn)
    throw new AppError(
      'invalid_input',
      `the vector has ${vector.length} values but the SAE's decoder rows have ${dIn}`,
    );
  let vectorSquared = 0;
  for (let i = 0; i < dIn; i++) vectorSquared += vector[i] * vector[i];
  if (!Number.isFinite(vectorSquared))
    throw new AppError('invalid_input', 'the vector holds NaN or Infinity: it has no direction to compare');
  if (vectorSquared === 0)
    throw new AppError('invalid_input', 'the vector is all zeros: it has no direction to compare');
  const vectorNorm = Math.sqrt(vectorSquared);
  const cosines = new Float64Array(dSae);
  const ranked: number[] = [];
  for (let j = 0; j < dSae; j++) {
    const base = j * dIn;
    let dot = 0;
    let rowSquared = 0;
    for (let i = 0; i < dIn; i++) {
      const w = W_dec[base + i];
      dot += w * vector[i];
      rowSquared += w * w;
    }
    // A NaN or an infinity anywhere in the row makes its sum of squares NaN or Infinity.
    if (!Number.isFinite(rowSquared)) {
      const bad = W_dec.subarray(base, base + dIn).findIndex((w) => !Number.isFinite(w));
      throw badFile(
        decoderFile,
        `W_dec row ${j}`,
        'finite values (a decoder row with NaN or Infinity leaves the ranking meaningless)',
        `${W_dec[base + bad]} at column ${bad}`,
      );
    }
    if (rowSquared === 0) continue;
    cosines[j] = dot / (Math.sqrt(rowSquared) * vectorNorm);
    ranked.push(j);
  }
  ranked.sort((a, b) => cosines[b] - cosines[a] || a - b);
  const take = Math.min(count, ranked.length);
  const pick = (j: number): FeatureCosine => ({ feature: j, cosine: cosines[j] });
  // The bottom list runs from the most negative up; ties again by index.
  const bottom = ranked
    .slice(ranked.length - take)
    .sort((a, b) => cosines[a] - cosines[b] || a - b)
    .map(pick);
  return { top: ranked.slice(0, take).map(pick), bottom, zeroRows: dSae - ranked.length };
}
