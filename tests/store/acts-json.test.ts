// The stored form of example activations (examples.token_acts_json / patch_acts_json): dense array
// or sparse {"n","i","v"}, whichever is shorter; decodeActs reads both and names the column when a
// stored value is malformed.
import { describe, expect, it } from 'vitest';
import { decodeActs, encodeActs } from '../../src-main/store/acts-json';

const round = (values: number[]) => values.map((v) => Math.round(Math.fround(v) * 1e4) / 1e4);

describe('example activation encoding', () => {
  it('writes the dense array when it is shorter and reads it back', () => {
    const values = [0.5, 1.25, 0, 2, 1.23456, 0.00001, 7];
    const encoded = encodeActs(Float32Array.from(values));
    expect(encoded).toBe('[0.5,1.25,0,2,1.2346,0,7]');
    expect(decodeActs(encoded, 'examples.token_acts_json')).toEqual(round(values).map((v) => (v === 0 ? 0 : v)));
  });

  it('writes the sparse object when it is shorter and reads it back', () => {
    const values = new Array<number>(200).fill(0);
    values[3] = 0.75;
    values[150] = 12.34567;
    values[199] = 0.00004; // rounds to 0: left out
    const encoded = encodeActs(Float32Array.from(values));
    expect(encoded).toBe('{"n":200,"i":[3,150],"v":[0.75,12.3457]}');
    expect(encoded.length).toBeLessThan(JSON.stringify(values).length);
    const decoded = decodeActs(encoded, 'examples.patch_acts_json')!;
    expect(decoded).toHaveLength(200);
    expect(decoded).toEqual(round(values).map((v) => (v === 0 ? 0 : v)));
  });

  it('picks whichever form is shorter, byte for byte', () => {
    // 10 values with 4 non-zero: dense "[1,0,1,0,1,0,1,0,0,0]" is 21 characters, sparse 36.
    expect(encodeActs(Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0, 0, 0]))).toBe('[1,0,1,0,1,0,1,0,0,0]');
    // 30 values with one non-zero: sparse is shorter.
    const one = new Float32Array(30);
    one[29] = 2;
    expect(encodeActs(one)).toBe('{"n":30,"i":[29],"v":[2]}');
    // Random arrays of every density: the result is the shorter form and decodes to the rounded values.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (const density of [0, 0.01, 0.1, 0.3, 0.5, 0.9, 1]) {
      const values = Float32Array.from({ length: 97 }, () => (random() < density ? random() * 10 : 0));
      const encoded = encodeActs(values);
      const rounded = Array.from(values, (v) => (Math.round(v * 1e4) / 1e4 === 0 ? 0 : Math.round(v * 1e4) / 1e4));
      const dense = `[${rounded.join(',')}]`;
      const nonZero = rounded.flatMap((v, i) => (v === 0 ? [] : [i]));
      const sparse = `{"n":97,"i":[${nonZero.join(',')}],"v":[${nonZero.map((i) => rounded[i]).join(',')}]}`;
      expect(encoded).toBe(sparse.length < dense.length ? sparse : dense);
      expect(decodeActs(encoded, 'examples.patch_acts_json')).toEqual(rounded);
    }
  });

  it('stores an all-zero array as an empty sparse object', () => {
    const encoded = encodeActs(new Float32Array(576));
    expect(encoded).toBe('{"n":576,"i":[],"v":[]}');
    expect(decodeActs(encoded, 'examples.patch_acts_json')).toEqual(new Array(576).fill(0));
    expect(encodeActs(new Float32Array(0))).toBe('[]');
    expect(decodeActs('[]', 'examples.token_acts_json')).toEqual([]);
    expect(decodeActs(null, 'examples.token_acts_json')).toBeNull();
  });

  it('names the column and what was expected for a malformed stored value', () => {
    const cases: [string, RegExp][] = [
      ['not json', /expected JSON/],
      ['[1,"x"]', /expected an array of numbers/],
      ['"text"', /expected \{"n":LENGTH/],
      ['{"n":-1,"i":[],"v":[]}', /"n" a whole number >= 0/],
      ['{"n":3,"i":[0,1],"v":[1]}', /"i" and "v" arrays of the same length/],
      ['{"n":3,"i":[1,1],"v":[1,2]}', /"i" increasing whole numbers below n = 3 \(i\[1\] is 1\)/],
      ['{"n":3,"i":[3],"v":[1]}', /"i" increasing whole numbers below n = 3 \(i\[0\] is 3\)/],
      ['{"n":3,"i":[0.5],"v":[1]}', /i\[0\] is 0\.5/],
      ['{"n":3,"i":[0],"v":[null]}', /"v" numbers \(v\[0\] is null\)/],
    ];
    for (const [stored, message] of cases) {
      let error: unknown;
      try {
        decodeActs(stored, 'examples.patch_acts_json');
      } catch (e) {
        error = e;
      }
      expect(error, stored).toMatchObject({
        name: 'AppError',
        code: 'internal',
        message: expect.stringContaining('project.sqlite: column examples.patch_acts_json: expected'),
      });
      expect((error as Error).message, stored).toMatch(message);
    }
  });
});
