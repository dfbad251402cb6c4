import { describe, expect, it } from 'vitest';
import { AppError } from '../../src-main/util/errors';
import { expectEndsWell, mutants, outcomeOf } from '../helpers/fuzz';

describe('fuzz harness', () => {
  const base = new TextEncoder().encode('header,value\nalpha,1\nbeta,2\n');

  it('gives the same mutants for the same seed and different ones for another', () => {
    const names = (seed: number) =>
      [...mutants(base, { seed, count: 50 })].map(
        (mutant) => `${mutant.name}:${Buffer.from(mutant.bytes).toString('hex')}`,
      );
    expect(names(1)).toEqual(names(1));
    expect(names(1)).not.toEqual(names(2));
    expect(names(1)).toHaveLength(50);
  });

  it('tells a documented error from a crash', async () => {
    expect(
      await outcomeOf(() => {
        throw new AppError('bad_file', 'x.csv: row 2: expected a number');
      }),
    ).toMatchObject({ ok: false, code: 'bad_file' });
    const crash = await outcomeOf(() => {
      throw new TypeError('Cannot read properties of undefined');
    });
    expect(crash).toMatchObject({ ok: false, code: 'internal' });
    expect(await outcomeOf(() => undefined)).toEqual({ ok: true });
    await expect(
      expectEndsWell('crash case', () => {
        throw new RangeError('offset out of bounds');
      }),
    ).rejects.toThrow(/ended in internal/);
  });
});
