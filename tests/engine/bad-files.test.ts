// Malformed inputs: each must be a bad_file AppError naming the file, the tensor or field, and what
// was expected. The pickle cases also prove nothing outside the allowlist is ever resolved.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectSaeFormat, loadSae } from '../../src-main/engine/formats/detect.js';
import { restrictedUnpickle } from '../../src-main/engine/formats/pickle.js';
import { AppError } from '../../src-main/util/errors.js';
import * as f from './fixtures.js';

async function badFile(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a bad_file error');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('bad_file');
  return error as AppError;
}

const enc = new TextEncoder();
const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)));

describe('SAELens config and weights checks', () => {
  it('a weight shape that disagrees with cfg.json names file, tensor and both shapes', async () => {
    const dir = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('relu', 16, 64), {
      cfgOverrides: { d_sae: 128 },
    });
    const e = await badFile(loadSae(dir));
    expect(e.message).toBe(
      'sae_weights.safetensors: W_enc: expected shape [16, 128] (cfg.json says d_in 16, d_sae 128), found shape [16, 64]',
    );
  });

  it('a truncated weights file is refused before any tensor is read', async () => {
    const dir = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('relu', 16, 64), { tamper: { truncateBy: 10 } });
    // the last tensor written is b_enc [64]
    expect((await badFile(loadSae(dir))).message).toMatch(
      /^sae_weights\.safetensors: b_enc\.data_offsets: expected 0 <= begin <= end <= (\d+) \(the data region\), found \[\d+, \d+\]$/,
    );
  });

  it('a header that lies about offsets names the tensor', async () => {
    const dir = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('relu', 16, 64), {
      tamper: { header: (h) => (h.b_dec.data_offsets = [0, 16 * 4]) },
    });
    // b_dec's size is right for [16] but it now overlaps W_enc
    expect((await badFile(loadSae(dir))).message).toMatch(
      /^sae_weights\.safetensors: (b_dec|W_enc)\.data_offsets: expected begin \d+ \(tensors must tile the data region without gaps or overlaps\), found begin \d+$/,
    );
    const dir2 = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('relu', 16, 64), {
      tamper: {
        header: (h) => (h.W_dec.data_offsets = [h.W_dec.data_offsets[0] + 8, h.W_dec.data_offsets[1] + 8 + 1e6]),
      },
    });
    expect((await badFile(loadSae(dir2))).message).toMatch(
      /W_dec\.data_offsets: expected 0 <= begin <= end <= \d+ \(the data region\), found/,
    );
  });

  it('NaN or Inf weights name the tensor', async () => {
    const sae = f.randomSae('jumprelu', 16, 64);
    sae.threshold![5] = Infinity;
    expect((await badFile(loadSae(f.writeSaeLensDir(join(f.tempDir(), 's'), sae)))).message).toBe(
      'sae_weights.safetensors: threshold: expected finite values, found Infinity at flat index 5',
    );
    const npz = f.randomSae('jumprelu', 16, 64);
    npz.W_dec[17] = NaN;
    expect(
      (await badFile(loadSae(f.writeGemmaScopeNpz(join(f.tempDir(), 'p.npz'), npz, { deflate: true })))).message,
    ).toMatch(/^p\.npz: w_dec: expected finite values, found NaN at flat index 17/);
    const pt = f.randomSae('relu', 16, 64);
    pt.b_enc[2] = -Infinity;
    expect((await badFile(loadSae(f.writePaperTorchSae(join(f.tempDir(), 'x.pt'), pt)))).message).toMatch(
      /^x\.pt: module\.fc1\.bias: expected finite values, found -Infinity/,
    );
  });

  it('expected_average_only_in without a scale refuses to guess', async () => {
    const dir = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('relu', 16, 64), {
      normalize: 'expected_average_only_in',
    });
    const e = await badFile(loadSae(dir));
    expect(e.message).toMatch(
      /cfg\.json: normalize_activations: expected_average_only_in needs the dataset scaling factor; pass inputScale or put activation_scaler\.json/,
    );
  });

  it('unknown architectures, missing k and unknown normalisations are named', async () => {
    const arch = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('relu', 16, 64), {
      cfgOverrides: { architecture: 'transcoder' },
    });
    expect((await badFile(loadSae(arch))).message).toBe(
      'cfg.json: architecture: expected standard, relu, topk, jumprelu or gated, found "transcoder"',
    );
    const k = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('topk', 16, 64), { cfgOverrides: { k: null } });
    expect((await badFile(loadSae(k))).message).toMatch(
      /^cfg\.json: k: expected a whole number in 1\.\.64 for a topk SAE/,
    );
    const norm = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('relu', 16, 64), {
      cfgOverrides: { normalize_activations: 'rms' },
    });
    expect((await badFile(loadSae(norm))).message).toMatch(
      /^cfg\.json: normalize_activations: expected none, expected_average_only_in, constant_norm_rescale or layer_norm, found "rms"/,
    );
  });

  // Found by tests/fuzz/safetensors-sae.fuzz.test.ts (issue 11): cfg.json values that were recorded as given.
  it('a hook layer or k that is not a whole number in range is refused, not recorded', async () => {
    for (const [override, message] of [
      [
        { metadata: { hook_name: 'blocks.7.hook_resid_post', hook_layer: -1 } },
        'cfg.json: metadata.hook_layer: expected a whole number >= 0 (the layer the SAE reads), found -1',
      ],
      [
        { hook_point_layer: 2.5 },
        'cfg.json: hook_point_layer: expected a whole number >= 0 (the layer the SAE reads), found 2.5',
      ],
      [{ k: 0.4 }, 'cfg.json: k: expected a whole number in 1..64 for a topk SAE, found 0.4'],
      [{ k: 2.5 }, 'cfg.json: k: expected a whole number in 1..64 for a topk SAE, found 2.5'],
    ] as const) {
      const dir = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('topk', 16, 64), { cfgOverrides: override });
      expect((await badFile(loadSae(dir))).message).toBe(message);
    }
    // A layer number too large to be one, in a hook name, is no layer rather than a wrong one.
    const hook = f.writeSaeLensDir(join(f.tempDir(), 's'), f.randomSae('topk', 16, 64), {
      cfgOverrides: { metadata: { hook_name: 'blocks.99999999999999999999.hook_resid_post' } },
    });
    expect((await loadSae(hook)).layer).toBeUndefined();
  });

  it('sparsify: a matrix that fits neither orientation names both expectations', async () => {
    const sae = f.randomSae('topk', 16, 64);
    const dir = f.writeSparsifyDir(join(f.tempDir(), 'sp'), sae);
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ k: sae.k, d_in: 16, num_latents: 32 }));
    expect((await badFile(loadSae(dir))).message).toBe(
      'sae.safetensors: encoder.weight: expected shape [32, 16] or [16, 32] (d_in 16, d_sae 32), found [64, 16]',
    );
  });

  it('torch: a weight whose shape fits neither orientation', async () => {
    const sae = f.randomSae('relu', 16, 64);
    const { pickle, storages } = f.torchStateDictPickle([
      { name: 'fc1.weight', shape: [64, 15], data: sae.W_enc.subarray(0, 64 * 15) },
      { name: 'fc1.bias', shape: [64], data: sae.b_enc },
      { name: 'fc2.weight', shape: [16, 64], data: sae.W_dec },
      { name: 'fc2.bias', shape: [16], data: sae.b_dec },
    ]);
    const path = f.writeTorchZip(join(f.tempDir(), 'bad.pt'), pickle, storages);
    expect((await badFile(loadSae(path))).message).toBe(
      'bad.pt: fc1.weight: expected shape [64, 16] (d_sae 64 from fc1.bias, d_in 16 from fc2.bias), found [64, 15]',
    );
  });
});

describe('restricted unpickler', () => {
  it('reads what our torch.save-style writer produces', () => {
    const { pickle } = f.torchStateDictPickle([{ name: 'w', shape: [2, 3], data: new Float32Array(6) }], true);
    const root = restrictedUnpickle(pickle, 't.pt') as Map<
      string,
      { kind: string; size: number[]; stride: number[]; storage: { dtype: string } }
    >;
    expect(root.get('w')).toMatchObject({ kind: 'tensor', size: [2, 3], stride: [3, 1], storage: { dtype: 'F32' } });
  });

  it('an unknown opcode names the file, the opcode and what is allowed', () => {
    // 0x69 is INST, which could instantiate arbitrary classes
    const e = (() => {
      try {
        restrictedUnpickle(bytes([0x80, 0x02, 0x69], 'os\nsystem\n'), 'evil.pt');
      } catch (error) {
        return error as AppError;
      }
      throw new Error('no error');
    })();
    expect(e.code).toBe('bad_file');
    expect(e.message).toMatch(
      /^evil\.pt: pickle opcode 0x69 at byte 2: expected only the state-dict opcodes .*, found 0x69$/,
    );
    for (const allowed of ['PROTO', 'BINPERSID', 'GLOBAL', 'STACK_GLOBAL', 'REDUCE', 'BUILD'])
      expect(e.message).toContain(` ${allowed},`);
  });

  it('os.system via GLOBAL is refused before anything could be called', () => {
    const payload = bytes(
      [0x80, 0x02, 0x63],
      'os\nsystem\n',
      [0x71, 0x00, 0x58, 4, 0, 0, 0],
      'echo',
      [0x85, 0x52, 0x2e],
    );
    expect(() => restrictedUnpickle(payload, 'evil.pkl')).toThrow(
      /^evil\.pkl: pickle global os\.system: expected only the classes collections\.OrderedDict, torch\._utils\._rebuild_tensor_v2, torch\._utils\._rebuild_parameter, torch\.FloatStorage, torch\.HalfStorage, torch\.BFloat16Storage, found os\.system$/,
    );
  });

  it('builtins via STACK_GLOBAL (protocol 4) are refused too', () => {
    const payload = bytes([0x80, 0x04, 0x8c, 8], 'builtins', [0x8c, 4], 'eval', [0x93, 0x2e]);
    expect(() => restrictedUnpickle(payload, 'e.pt')).toThrow(
      /e\.pt: pickle global builtins\.eval: expected only the classes/,
    );
  });

  it('a disallowed class inside a real torch zip fails loadSae with bad_file', async () => {
    const payload = bytes([0x80, 0x02, 0x63], 'subprocess\nPopen\n', [0x29, 0x52, 0x2e]);
    const path = f.writeTorchZip(join(f.tempDir(), 'sae.pt'), payload, []);
    expect((await badFile(loadSae(path))).message).toMatch(
      /^sae\.pt: pickle global subprocess\.Popen: expected only the classes/,
    );
  });

  it('truncated pickles and unknown storage types are bad files', () => {
    expect(() => restrictedUnpickle(bytes([0x80, 0x02, 0x58, 9, 0, 0, 0], 'abc'), 't.pt')).toThrow(
      /t\.pt: pickle byte 7: expected 9 more bytes, found end of data/,
    );
    const pid = bytes([0x80, 0x02, 0x28, 0x58, 7, 0, 0, 0], 'storage', [0x63], 'torch\nLongStorage\n');
    expect(() => restrictedUnpickle(pid, 't.pt')).toThrow(
      /pickle global torch\.LongStorage: expected only the classes/,
    );
  });
});

describe('format detection', () => {
  it('detects each layout and honours --format', () => {
    const dir = f.tempDir();
    const sae = f.randomSae('topk', 16, 64);
    expect(detectSaeFormat(f.writeSaeLensDir(join(dir, 'a'), sae))).toBe('saelens');
    expect(detectSaeFormat(f.writeSparsifyDir(join(dir, 'b'), sae))).toBe('sparsify');
    expect(detectSaeFormat(f.writePaperTorchSae(join(dir, 'c.pth'), sae))).toBe('torch');
    expect(detectSaeFormat(f.writeGemmaScopeNpz(join(dir, 'd.npz'), f.randomSae('jumprelu', 16, 64)))).toBe(
      'gemmascope',
    );
    expect(detectSaeFormat(join(dir, 'a'), 'sparsify')).toBe('sparsify');
    expect(() => detectSaeFormat(join(dir, 'a'), 'onnx')).toThrow(
      /--format onnx: expected one of saelens, sparsify, torch, gemmascope/,
    );
    writeFileSync(join(dir, 'legacy.pt'), bytes([0x80, 0x02, 0x7d, 0x2e]));
    expect(() => detectSaeFormat(join(dir, 'legacy.pt'))).toThrow(
      /legacy\.pt: \(container\): expected a torch\.save zip checkpoint/,
    );
  });

  it('a wrong --format override fails with a bad_file naming the missing file content', async () => {
    const dir = f.writeSaeLensDir(join(f.tempDir(), 'a'), f.randomSae('relu', 16, 64));
    const e = await badFile(loadSae(dir, { format: 'sparsify' }));
    expect(e.message).toMatch(
      /^sae\.safetensors: \(file\): expected a safetensors file at .*sae\.safetensors, found none/,
    );
  });
});
