/**
 * Bradley–Terry strengths from paired comparisons, fitted with the MM algorithm of Hunter (2004),
 * "MM algorithms for generalized Bradley–Terry models", Ann. Statist. 32(1), eq. (3):
 *   p_i <- W_i / sum_{j != i} n_ij / (p_i + p_j),  then renormalised,
 * where W_i is i's wins and n_ij the comparisons between i and j. P(i beats j) = p_i / (p_i + p_j).
 * A tie counts as half a win for each side (the usual simplification; Rao–Kupper would add a
 * tie parameter we have no use for at a handful of raters per pair).
 *
 * The maximum-likelihood strengths exist only when, for every split of the systems in two groups,
 * some system of each group beat one of the other (Hunter's Assumption 1). Otherwise a system that
 * never lost drifts to infinity; we report why instead of a number.
 */
import { AppError } from '../util/errors';

export interface PairedComparison {
  /** The two systems compared. */
  first: string;
  second: string;
  /** 1 when `first` won, 0 when `second` won, 0.5 for a tie. */
  firstScore: number;
}

export interface BradleyTerryFit {
  systems: string[];
  /** Strength per system (same order), normalised to sum to 1; null when the MLE does not exist. */
  strengths: number[] | null;
  iterations: number;
  converged: boolean;
  /** Why strengths are null, else null. */
  reason: string | null;
}

export function bradleyTerry(
  comparisons: readonly PairedComparison[],
  options: { maxIterations?: number; tolerance?: number; systems?: readonly string[] } = {},
): BradleyTerryFit {
  if (comparisons.length === 0) throw new AppError('invalid_input', 'Bradley–Terry: no comparisons were given');
  const systems = options.systems
    ? [...options.systems]
    : [...new Set(comparisons.flatMap((c) => [c.first, c.second]))];
  const index = new Map(systems.map((system, i) => [system, i]));
  const m = systems.length;
  const wins = new Array<number>(m).fill(0);
  // games[i][j]: comparisons between i and j; beat[i][j]: i's (fractional) wins over j.
  const games = systems.map(() => new Array<number>(m).fill(0));
  const beat = systems.map(() => new Array<number>(m).fill(0));
  for (const { first, second, firstScore } of comparisons) {
    const i = index.get(first);
    const j = index.get(second);
    if (i === undefined || j === undefined)
      throw new AppError(
        'invalid_input',
        `Bradley–Terry: comparison of unknown system ${i === undefined ? first : second}`,
      );
    if (i === j) continue;
    games[i][j]++;
    games[j][i]++;
    beat[i][j] += firstScore;
    beat[j][i] += 1 - firstScore;
    wins[i] += firstScore;
    wins[j] += 1 - firstScore;
  }
  const base = { systems, iterations: 0, converged: false };
  const unreachable = dominatedGroup(beat, m);
  if (unreachable !== null) {
    const names = unreachable.map((i) => systems[i]).join(', ');
    return {
      ...base,
      strengths: null,
      reason: `${names} never lost to the other systems (or were never compared with them), so the Bradley–Terry strengths are unbounded`,
    };
  }
  const maxIterations = options.maxIterations ?? 10_000;
  const tolerance = options.tolerance ?? 1e-10;
  let p = new Array<number>(m).fill(1 / m);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const next = p.map((pi, i) => {
      let denominator = 0;
      for (let j = 0; j < m; j++) if (j !== i && games[i][j] > 0) denominator += games[i][j] / (pi + p[j]);
      return wins[i] / denominator;
    });
    const total = next.reduce((a, b) => a + b, 0);
    const normalised = next.map((value) => value / total);
    const change = Math.max(...normalised.map((value, i) => Math.abs(value - p[i])));
    p = normalised;
    if (change < tolerance) return { ...base, strengths: p, iterations: iteration, converged: true, reason: null };
  }
  return {
    ...base,
    strengths: p,
    iterations: maxIterations,
    converged: false,
    reason: `did not converge in ${maxIterations} iterations`,
  };
}

/**
 * A group of systems that nobody outside it ever beat (Hunter's Assumption 1 fails), or null.
 * From each system, follow "was beaten by" edges: the systems reached are closed under "who beat
 * them", so no system outside the group beat one inside. The assumption holds exactly when every
 * start reaches every system.
 */
function dominatedGroup(beat: number[][], m: number): number[] | null {
  for (let start = 0; start < m; start++) {
    const seen = new Set([start]);
    const queue = [start];
    while (queue.length) {
      const i = queue.pop()!;
      for (let j = 0; j < m; j++) {
        if (!seen.has(j) && beat[j][i] > 0) {
          seen.add(j);
          queue.push(j);
        }
      }
    }
    if (seen.size < m) return [...seen].sort((a, b) => a - b);
  }
  return null;
}
