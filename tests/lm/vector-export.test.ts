// `sightline vector export`: a stored vector written as .npy (byte for byte what the test fixtures'
// independent writer makes by the NumPy format spec, F32 and F16) or .safetensors (tensor "vector",
// provenance in the metadata), and read back by `vector import` with the same sha256 (F32) or the
// values rounded to half precision (F16). An existing file, a wrong extension and an unknown vector
// are refused without writing.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src-main/engine/formats/safetensors.js';
import { npyBytes, randn, rng, tempDir } from '../engine/fixtures.js';
import { runJson } from '../helpers/cli.js';

const D = 24;
const values = randn(D, rng(5), 3);
let dir: string;
let project: string;
let sha256: string;

beforeAll(async () => {
  dir = tempDir();
  project = path.join(dir, 'v.sightline');
  expect((await runJson(['init', '--project', project])).code).toBe(0);
  fs.writeFileSync(path.join(dir, 'dir.npy'), npyBytes(values, [D]));
  const imported = await runJson(['vector', 'import', '--project', project, '--path', path.join(dir, 'dir.npy')]);
  expect(imported.code).toBe(0);
  sha256 = imported.value.sha256;
});

const exportTo = (file: string, ...extra: string[]) =>
  runJson(['vector', 'export', '--project', project, '--name', 'dir', '--out', path.join(dir, file), ...extra]);

describe('sightline vector export', () => {
  it('writes .npy as the NumPy format spec says, F32 and F16', async () => {
    for (const [file, dtype] of [
      ['out32.npy', 'F32'],
      ['out16.npy', 'F16'],
    ] as const) {
      const run = await exportTo(file, '--dtype', dtype.toLowerCase());
      expect(run.code).toBe(0);
      expect(run.value).toMatchObject({ format: 'npy', dtype, dModel: D, sha256 });
      const bytes = fs.readFileSync(path.join(dir, file));
      expect(new Uint8Array(bytes)).toEqual(npyBytes(values, [D], dtype));
      // The spec's own words: magic "\x93NUMPY", version 1.0, a little-endian u16 header length, the
      // header dict ending in '\n' and padded so the data starts on a multiple of 64.
      expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const headerLength = bytes.readUInt16LE(8);
      expect((10 + headerLength) % 64).toBe(0);
      const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
      expect(header.endsWith('\n')).toBe(true);
      expect(header.trimEnd()).toBe(
        `{'descr': '${dtype === 'F32' ? '<f4' : '<f2'}', 'fortran_order': False, 'shape': (${D},), }`,
      );
    }
  });

  it('round-trips through vector import: .npy and .safetensors F32 keep the sha256, F16 rounds', async () => {
    expect((await exportTo('out.safetensors')).code).toBe(0);
    const st = openSafetensors(path.join(dir, 'out.safetensors'));
    expect(st.tensors.get('vector')).toMatchObject({ dtype: 'F32', shape: [D] });
    expect(st.metadata).toMatchObject({ name: 'dir', sha256 });
    for (const file of ['out.safetensors', 'out32.npy']) {
      const back = await runJson([
        'vector',
        'import',
        '--project',
        project,
        '--path',
        path.join(dir, file),
        '--name',
        `back-${file}`,
      ]);
      expect(back.code).toBe(0);
      expect(back.value.sha256).toBe(sha256);
    }
    expect((await exportTo('half.safetensors', '--dtype', 'f16')).code).toBe(0);
    const half = await runJson([
      'vector',
      'import',
      '--project',
      project,
      '--path',
      path.join(dir, 'half.safetensors'),
      '--name',
      'half',
    ]);
    expect(half.code).toBe(0);
    expect(half.value.sha256).not.toBe(sha256);
    expect(half.value.norm).toBeCloseTo(Math.hypot(...values), 2);
  });

  it('refuses an existing file, another extension and an unknown vector, writing nothing', async () => {
    const existing = await exportTo('out32.npy');
    expect(existing.code).toBe(1);
    expect(existing.value.error.message).toMatch(/the file exists/);
    const pt = await exportTo('out.pt');
    expect(pt.code).toBe(2);
    expect(pt.value.error.message).toMatch(/\.safetensors or \.npy/);
    expect(fs.existsSync(path.join(dir, 'out.pt'))).toBe(false);
    const unknown = await runJson([
      'vector',
      'export',
      '--project',
      project,
      '--name',
      'nope',
      '--out',
      path.join(dir, 'n.npy'),
    ]);
    expect(unknown.code).toBe(1);
    expect(fs.existsSync(path.join(dir, 'n.npy'))).toBe(false);
  });
});
