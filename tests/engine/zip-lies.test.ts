// Torch and npz files whose zip structure or pickle lies (issue 11): each must end in a bad_file
// naming the file and the field, never in wrong weights loaded silently or a crash (code internal).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSae } from '../../src-main/engine/formats/detect.js';
import { AppError } from '../../src-main/util/errors.js';
import * as f from './fixtures.js';
import { CENTRAL, LOCAL, withInt, zipRecord, zipWithDataDescriptors } from './zip-edit.js';

async function badFile(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => new Error('expected a bad_file error, but the file loaded'),
    (e: unknown) => e,
  );
  expect(error, String((error as Error).stack)).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('bad_file');
  return (error as AppError).message;
}

const sae = f.randomSae('relu', 8, 16);
const npzSae = f.randomSae('jumprelu', 8, 16);

function write(name: string, bytes: Uint8Array): string {
  const path = join(f.tempDir(), name);
  writeFileSync(path, bytes);
  return path;
}

describe('torch .pt: the zip central directory and local headers must agree', () => {
  const base = f.paperTorchSaeBytes(sae);

  it('an entry pointed at offset 0 (data.pkl) is refused instead of loading data.pkl as fc1.bias', async () => {
    const lie = withInt(base, zipRecord(base, 'archive/data/1').central + CENTRAL.localHeaderOffset, 4, 0);
    expect(await badFile(loadSae(write('x.pt', lie)))).toBe(
      "x.pt: archive/data/1: local header name: expected archive/data/1 (the central directory's), found archive/data.pkl",
    );
  });

  it('an entry pointed at another storage with the same size is refused', async () => {
    // fc1.weight (data/0) and fc2.weight (data/2) are both 16x8 floats: same sizes, other numbers
    const lie = withInt(
      base,
      zipRecord(base, 'archive/data/2').central + CENTRAL.localHeaderOffset,
      4,
      zipRecord(base, 'archive/data/0').local,
    );
    expect(await badFile(loadSae(write('x.pt', lie)))).toMatch(
      /^x\.pt: archive\/data\/2: local header name: expected archive\/data\/2 .*, found archive\/data\/0$/,
    );
  });

  it('a local header whose sizes or method disagree with the central directory is refused', async () => {
    const record = zipRecord(base, 'archive/data/3');
    expect(await badFile(loadSae(write('x.pt', withInt(base, record.local + LOCAL.compressedSize, 4, 28))))).toBe(
      "x.pt: archive/data/3: local header compressed size: expected 32 (the central directory's), found 28",
    );
    expect(await badFile(loadSae(write('x.pt', withInt(base, record.local + LOCAL.method, 2, 8))))).toBe(
      "x.pt: archive/data/3: local header method: expected 0 (the central directory's), found 8",
    );
  });

  it('compression method 8 on a stored entry (both headers say so) is a bad_file, not a crash', async () => {
    const record = zipRecord(base, 'archive/data/0');
    const lie = withInt(withInt(base, record.central + CENTRAL.method, 2, 8), record.local + LOCAL.method, 2, 8);
    expect(await badFile(loadSae(write('x.pt', lie)))).toMatch(
      /^x\.pt: archive\/data\/0: (deflate data|uncompressed size): expected /,
    );
  });

  it('an unknown compression method is named', async () => {
    const record = zipRecord(base, 'archive/data/0');
    const lie = withInt(withInt(base, record.central + CENTRAL.method, 2, 12), record.local + LOCAL.method, 2, 12);
    expect(await badFile(loadSae(write('x.pt', lie)))).toBe(
      'x.pt: archive/data/0: compression method: expected 0 (stored) or 8 (deflate), found 12',
    );
  });

  it('changed bytes in a storage fail the CRC-32 check instead of loading other finite numbers', async () => {
    const record = zipRecord(base, 'archive/data/1');
    const changed = new Uint8Array(base);
    new DataView(changed.buffer).setFloat32(record.data + 4 * 3, 0.5, true);
    expect(await badFile(loadSae(write('x.pt', changed)))).toMatch(
      /^x\.pt: archive\/data\/1: crc-32: expected 0x[0-9a-f]{8} \(the central directory's\), found 0x[0-9a-f]{8}$/,
    );
  });

  it('a central directory length field that runs past the directory is a bad_file, not a RangeError', async () => {
    const last = zipRecord(base, 'archive/data/3');
    expect(await badFile(loadSae(write('x.pt', withInt(base, last.central + CENTRAL.extraLength, 2, 0xfff0))))).toMatch(
      /^x\.pt: zip central directory entry 6: expected a header within the \d+-byte central directory, found one that ends at byte \d+$/,
    );
    expect(await badFile(loadSae(write('x.pt', withInt(base, last.central + CENTRAL.nameLength, 2, 0xffff))))).toMatch(
      /^x\.pt: zip central directory entry 6: expected a header within/,
    );
  });

  it('a local header whose name and extra fields run past the file is a bad_file, not a RangeError (found by fuzzing)', async () => {
    const record = zipRecord(base, 'archive/byteorder');
    expect(await badFile(loadSae(write('x.pt', withInt(base, record.local + LOCAL.extraLength, 2, 0x7fff))))).toMatch(
      /^x\.pt: archive\/byteorder: local header: expected name and extra fields that end before the central directory at \d+, found /,
    );
  });

  it('two central directory entries with the same name are refused', async () => {
    const record = zipRecord(base, 'archive/data/3');
    const renamed = new Uint8Array(base);
    renamed.set(new TextEncoder().encode('archive/data/1'), record.central + 46);
    expect(await badFile(loadSae(write('x.pt', renamed)))).toBe(
      'x.pt: zip central directory entry 6: expected a unique entry name, found archive/data/1 twice',
    );
  });

  it('accepts the layout PyTorch writes: data descriptors, zero sizes in local headers, ZIP64 records', async () => {
    const { pickle, storages } = f.torchStateDictPickle([
      { name: 'fc1.weight', shape: [16, 8], data: f.transposeRaw(sae.W_enc, 8, 16) },
      { name: 'fc1.bias', shape: [16], data: sae.b_enc },
      { name: 'fc2.weight', shape: [8, 16], data: f.transposeRaw(sae.W_dec, 16, 8) },
      { name: 'fc2.bias', shape: [8], data: sae.b_dec },
    ]);
    const files: Record<string, Uint8Array> = {
      'sae/data.pkl': pickle,
      'sae/version': new TextEncoder().encode('3\n'),
    };
    storages.forEach((s, i) => (files[`sae/data/${i}`] = s));
    for (const zip64 of [false, true]) {
      const loaded = await loadSae(write('dd.pt', zipWithDataDescriptors(files, { zip64 })));
      expect(loaded.W_enc).toEqual(sae.W_enc);
      expect(loaded.b_dec).toEqual(sae.b_dec);
      expect(loaded.external?.W_enc?.offset, 'external data offset of the stored fc1.weight').toBe(
        30 + 'sae/data.pkl'.length + pickle.length + 16 + 30 + 'sae/version'.length + 2 + 16 + 30 + 'sae/data/0'.length,
      );
    }
  });
});

describe('torch .pt: pickled tensors must stay inside their storages', () => {
  const load = (lies: f.PaperTorchOptions['lies']) => loadSae(write('x.pt', f.paperTorchSaeBytes(sae, { lies })));

  it('a negative storage_offset is refused', async () => {
    expect(await badFile(load({ 'fc1.bias': { storageOffset: -1 } }))).toBe(
      'x.pt: module.fc1.bias.storage_offset: expected an integer >= 0, found -1',
    );
  });

  it('a 1-D stride on a 2-D tensor is a bad_file, not a crash', async () => {
    expect(await badFile(load({ 'fc1.weight': { stride: [1] } }))).toBe(
      'x.pt: module.fc1.weight.stride: expected 2 integers >= 0 (one per dimension of [16, 8]), found [1]',
    );
  });

  it('negative or fractional sizes and strides are refused', async () => {
    expect(await badFile(load({ 'fc2.weight': { stride: [16, -1] } }))).toMatch(
      /^x\.pt: module\.fc2\.weight\.stride: expected 2 integers >= 0/,
    );
    expect(await badFile(load({ 'fc2.bias': { size: [-8] } }))).toBe(
      'x.pt: module.fc2.bias.size: expected integers >= 0, found [-8]',
    );
  });

  it('a view that reaches past its storage (huge stride, shifted offset) is refused', async () => {
    expect(await badFile(load({ 'fc1.weight': { stride: [2 ** 40, 1] } }))).toMatch(
      /^x\.pt: module\.fc1\.weight: expected a view within storage 0 \(128 elements\), found one that reaches element \d+$/,
    );
    expect(await badFile(load({ 'fc1.bias': { storageOffset: 1 } }))).toBe(
      'x.pt: module.fc1.bias: expected a view within storage 1 (16 elements), found one that reaches element 17',
    );
  });

  it('an overlapping view inside its storage (found by fuzzing: it loaded repeated numbers) is refused', async () => {
    expect(await badFile(load({ 'fc2.weight': { stride: [16, 0] } }))).toBe(
      'x.pt: module.fc2.weight.stride: expected strides under which no two elements share storage (no expanded or overlapping views), found [16, 0]',
    );
    expect(await badFile(load({ 'fc1.weight': { stride: [1, 1] } }))).toMatch(
      /^x\.pt: module\.fc1\.weight\.stride: expected strides under which no two elements share storage/,
    );
  });

  it('a view that repeats elements (stride 0) to declare more numbers than its storage holds is refused', async () => {
    // 2^40 elements from a 16-element storage: would allocate terabytes if read
    expect(await badFile(load({ 'fc1.bias': { size: [2 ** 40], stride: [0] } }))).toMatch(
      /^x\.pt: module\.fc1\.bias: expected at most the 16 elements of storage 1, found a view of 1099511627776$/,
    );
  });

  it('a storage entry whose byte count is not numel x dtype size is refused', async () => {
    expect(await badFile(load({ 'fc1.bias': { storageNumel: 15 } }))).toBe(
      'x.pt: archive/data/1: expected 60 bytes (15 F32 elements, as the pickle says), found 64',
    );
  });

  it('a tensor present both with and without the "module." prefix is refused rather than one picked', async () => {
    const { pickle, storages } = f.torchStateDictPickle([
      { name: 'module.fc1.weight', shape: [16, 8], data: f.transposeRaw(sae.W_enc, 8, 16) },
      { name: 'module.fc1.bias', shape: [16], data: sae.b_enc },
      { name: 'fc1.bias', shape: [16], data: new Float32Array(16) },
    ]);
    expect(await badFile(loadSae(f.writeTorchZip(join(f.tempDir(), 'two.pt'), pickle, storages)))).toBe(
      'two.pt: fc1.bias: expected one tensor named fc1.bias (with or without DataParallel\'s "module." prefix), found two',
    );
  });

  it('a dict that contains itself is a bad_file, not a stack overflow', async () => {
    // {'a': <itself>}: EMPTY_DICT, BINPUT 0, SHORT_BINUNICODE 'a', BINGET 0, SETITEM, STOP
    const pickle = Uint8Array.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x8c, 0x01, 0x61, 0x68, 0x00, 0x73, 0x2e]);
    expect(await badFile(loadSae(f.writeTorchZip(join(f.tempDir(), 'loop.pt'), pickle, [])))).toMatch(
      /^loop\.pt: a: expected a dict of tensors .*found a dict that contains itself$/,
    );
  });
});

describe('Gemma Scope .npz: zip and npy header lies', () => {
  for (const deflate of [false, true]) {
    it(`${deflate ? 'deflated' : 'stored'}: changed array bytes fail the CRC-32 check`, async () => {
      const base = f.gemmaScopeNpzBytes(npzSae, { deflate });
      const record = zipRecord(base, 'b_dec.npy');
      const changed = new Uint8Array(base);
      changed[record.data + record.compressedSize - 3] ^= 0x01;
      expect(await badFile(loadSae(write('p.npz', changed)))).toMatch(
        /^p\.npz: b_dec\.npy: (crc-32|deflate data): expected /,
      );
    });
  }

  it('w_dec pointed at w_enc (same byte count) is refused', async () => {
    const square = f.randomSae('jumprelu', 8, 8);
    const base = f.gemmaScopeNpzBytes(square);
    const lie = withInt(
      base,
      zipRecord(base, 'w_dec.npy').central + CENTRAL.localHeaderOffset,
      4,
      zipRecord(base, 'w_enc.npy').local,
    );
    expect(await badFile(loadSae(write('p.npz', lie)))).toBe(
      "p.npz: w_dec.npy: local header name: expected w_dec.npy (the central directory's), found w_enc.npy",
    );
  });

  it('garbage marked as deflate is a bad_file, not a crash', async () => {
    const base = f.gemmaScopeNpzBytes(npzSae);
    const record = zipRecord(base, 'w_enc.npy');
    const lie = withInt(withInt(base, record.central + CENTRAL.method, 2, 8), record.local + LOCAL.method, 2, 8);
    expect(await badFile(loadSae(write('p.npz', lie)))).toMatch(
      /^p\.npz: w_enc\.npy: (deflate data|uncompressed size): expected /,
    );
  });

  it('an npy header that names a key twice is refused (numpy would read the last, we the first)', async () => {
    const bytes = f.gemmaScopeNpzBytes(npzSae, {
      headers: { w_dec: (text) => text.replace(/, }$/, ", 'shape': (8, 16), }") },
    });
    expect(await badFile(loadSae(write('p.npz', bytes)))).toBe(
      "p.npz: w_dec.npy header: expected each of 'descr', 'fortran_order', 'shape' once, found 'shape' twice",
    );
  });

  it('an npy header with an unknown key or trailing text is refused', async () => {
    const extra = f.gemmaScopeNpzBytes(npzSae, {
      headers: { b_enc: (text) => text.replace(/, }$/, ", 'offset': 4, }") },
    });
    expect(await badFile(loadSae(write('p.npz', extra)))).toMatch(
      /^p\.npz: b_enc\.npy header: expected only the keys 'descr', 'fortran_order', 'shape', found 'offset'$/,
    );
    const trailing = f.gemmaScopeNpzBytes(npzSae, { headers: { b_enc: (text) => `${text} 'shape': (4,)` } });
    expect(await badFile(loadSae(write('p.npz', trailing)))).toMatch(
      /^p\.npz: b_enc\.npy header: expected a dict literal/,
    );
  });

  it('an npy shape too large for a safe integer is refused, not wrapped', async () => {
    const huge = f.gemmaScopeNpzBytes(npzSae, {
      headers: { b_dec: (text) => text.replace('(8,)', '(99999999999999999999,)') },
    });
    expect(await badFile(loadSae(write('p.npz', huge)))).toMatch(/^p\.npz: b_dec\.npy shape: expected /);
  });
});
