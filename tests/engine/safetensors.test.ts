import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSafetensors, readSafetensor } from '../../src-main/engine/formats/safetensors.js';
import { AppError } from '../../src-main/util/errors.js';
import { randn, rng, safetensorsBytes, tempDir, type TensorSpec } from './fixtures.js';

function write(tensors: TensorSpec[], tamper = {}): string {
  const path = join(tempDir(), 'w.safetensors');
  writeFileSync(path, safetensorsBytes(tensors, tamper));
  return path;
}

function badFileError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('bad_file');
    return error as AppError;
  }
  throw new Error('expected a bad_file error');
}

const r = rng(7);
const a = randn(12 * 5, r);
const b = randn(5, r);

describe('safetensors reader', () => {
  it('reads F32 exactly and F16/BF16 within their precision', () => {
    const path = write([
      { name: 'a32', shape: [12, 5], data: a },
      { name: 'a16', shape: [12, 5], data: a, dtype: 'F16' },
      { name: 'abf', shape: [12, 5], data: a, dtype: 'BF16' },
      { name: 'b', shape: [5], data: b },
    ]);
    const st = openSafetensors(path);
    expect(st.tensors.get('a16')!.shape).toEqual([12, 5]);
    expect(readSafetensor(st, 'a32')).toEqual(a);
    const h = readSafetensor(st, 'a16');
    const bf = readSafetensor(st, 'abf');
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(h[i] - a[i])).toBeLessThanOrEqual(Math.abs(a[i]) * 2 ** -11 + 1e-7);
      expect(Math.abs(bf[i] - a[i])).toBeLessThanOrEqual(Math.abs(a[i]) * 2 ** -8 + 1e-30);
    }
    // the dtypes really differ on disk
    expect(h).not.toEqual(a);
    expect(bf).not.toEqual(h);
  });

  it('rejects a file shorter than its 8-byte length prefix', () => {
    const path = write([{ name: 'b', shape: [5], data: b }], { truncateTo: 5 });
    const e = badFileError(() => openSafetensors(path));
    expect(e.message).toMatch(/w\.safetensors: header length: expected an 8-byte/);
  });

  it('rejects a header length beyond the file', () => {
    const path = write([{ name: 'b', shape: [5], data: b }], { headerLength: 1 << 20 });
    expect(badFileError(() => openSafetensors(path)).message).toMatch(
      /w\.safetensors: header length: expected at most \d+ bytes.*found 1048576/,
    );
  });

  it('rejects a truncated data region, naming the tensor', () => {
    const full = safetensorsBytes([{ name: 'a32', shape: [12, 5], data: a }]);
    const path = write([{ name: 'a32', shape: [12, 5], data: a }], { truncateTo: full.length - 4 });
    expect(badFileError(() => openSafetensors(path)).message).toMatch(
      /w\.safetensors: a32\.data_offsets: expected 0 <= begin <= end <= 236 \(the data region\), found \[0, 240\]/,
    );
  });

  it('rejects offsets that lie about the shape', () => {
    const path = write(
      [
        { name: 'a32', shape: [12, 5], data: a },
        { name: 'b', shape: [5], data: b },
      ],
      {
        header: (h: Record<string, { data_offsets: number[] }>) =>
          (h.b.data_offsets = [h.b.data_offsets[0], h.b.data_offsets[1] - 4]),
      },
    );
    expect(badFileError(() => openSafetensors(path)).message).toMatch(
      /b\.data_offsets: expected 20 bytes for shape \[5\] F32, found 16 bytes/,
    );
  });

  it('rejects unknown dtypes', () => {
    const path = write([{ name: 'b', shape: [5], data: b }], {
      header: (h: Record<string, { dtype: string }>) => (h.b.dtype = 'F8_E4M3'),
    });
    expect(badFileError(() => openSafetensors(path)).message).toMatch(
      /b\.dtype: expected one of F32, F16, BF16, found "F8_E4M3"/,
    );
  });

  // Found by tests/fuzz/safetensors-sae.fuzz.test.ts (issue 11): the spec's header is UTF-8 JSON.
  it('rejects a header that is not valid UTF-8, naming the byte', () => {
    const bytes = safetensorsBytes([{ name: 'b', shape: [5], data: b }]);
    const at = new TextDecoder().decode(bytes).indexOf('"pt"') + 2; // the 't' of __metadata__.format
    bytes[at] = 0xff;
    const path = join(tempDir(), 'w.safetensors');
    writeFileSync(path, bytes);
    expect(badFileError(() => openSafetensors(path)).message).toBe(
      `w.safetensors: header: expected UTF-8 JSON, found byte 0xff at byte offset ${at}`,
    );
  });

  it('rejects NaN and Inf weights, naming the tensor', () => {
    const withNaN = Float32Array.from(b);
    withNaN[3] = NaN;
    const withInf = Float32Array.from(b);
    withInf[0] = -Infinity;
    const st = openSafetensors(
      write([
        { name: 'nan_here', shape: [5], data: withNaN },
        { name: 'inf_here', shape: [5], data: withInf, dtype: 'F16' },
      ]),
    );
    expect(badFileError(() => readSafetensor(st, 'nan_here')).message).toMatch(
      /nan_here: expected finite values, found NaN at flat index 3/,
    );
    expect(badFileError(() => readSafetensor(st, 'inf_here')).message).toMatch(
      /inf_here: expected finite values, found -Infinity at flat index 0/,
    );
  });
});
