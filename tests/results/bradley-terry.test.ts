import { describe, expect, it } from 'vitest';
import { bradleyTerry, type PairedComparison } from '../../src-main/results/bradley-terry';

/** `wins` comparisons won by a and `losses` by b. */
const games = (a: string, b: string, wins: number, losses: number): PairedComparison[] => [
  ...Array.from({ length: wins }, () => ({ first: a, second: b, firstScore: 1 })),
  ...Array.from({ length: losses }, () => ({ first: a, second: b, firstScore: 0 })),
];

describe('bradleyTerry (MM, Hunter 2004)', () => {
  it('recovers known strengths 1 : 2 : 4 from counts that match them exactly', () => {
    // P(i beats j) = p_i / (p_i + p_j): A–B 1/3, A–C 1/5, B–C 1/3. With 3, 5 and 3 games the
    // observed wins equal the expected ones, so the likelihood equations hold at p = (1, 2, 4) / 7.
    const fit = bradleyTerry([...games('A', 'B', 1, 2), ...games('A', 'C', 1, 4), ...games('B', 'C', 1, 2)]);
    expect(fit.converged).toBe(true);
    expect(fit.systems).toEqual(['A', 'B', 'C']);
    expect(fit.strengths![0]).toBeCloseTo(1 / 7, 8);
    expect(fit.strengths![1]).toBeCloseTo(2 / 7, 8);
    expect(fit.strengths![2]).toBeCloseTo(4 / 7, 8);
  });

  it('counts a tie as half a win for each side', () => {
    // Two ties and one win each way: equal strengths.
    const fit = bradleyTerry([
      ...games('A', 'B', 1, 1),
      { first: 'A', second: 'B', firstScore: 0.5 },
      { first: 'B', second: 'A', firstScore: 0.5 },
    ]);
    expect(fit.strengths![0]).toBeCloseTo(0.5, 10);
    // Two wins and a tie: 2.5 of 3 games to A, p_A / (p_A + p_B) = 5/6; the tie's half win keeps B finite.
    const lopsided = bradleyTerry([...games('A', 'B', 2, 0), { first: 'A', second: 'B', firstScore: 0.5 }]);
    expect(lopsided.strengths![0]).toBeCloseTo(5 / 6, 8);
    const tied = bradleyTerry([...games('A', 'B', 2, 1), { first: 'A', second: 'B', firstScore: 0.5 }]);
    expect(tied.strengths![0]).toBeCloseTo(2.5 / 4, 8);
  });

  it('says why when a system never lost: the strengths would be unbounded', () => {
    const fit = bradleyTerry([...games('A', 'B', 2, 1), ...games('C', 'A', 3, 0), ...games('C', 'B', 2, 0)]);
    expect(fit.strengths).toBeNull();
    expect(fit.reason).toMatch(/^C never lost/);
  });
});
