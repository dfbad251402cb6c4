// Fuzzing torch .pt SAE imports (issue 11): byte-level mutations, zip directory and local header
// lies, and pickle lies (storage offsets, strides, shapes, storage sizes) in otherwise valid
// archives, plus NaN/Inf weights. Every case ends in success with the original weights or bad_file.
// CI: 300 cases, fixed seed. By hand: SIGHTLINE_FUZZ_CASES=10000 npx vitest run tests/fuzz/torch.fuzz.test.ts
import { describe, expect, it } from 'vitest';
import * as f from '../engine/fixtures';
import { below, fuzzCaseCount, fuzzSeed, pick, type Mutator, type Random } from '../helpers/fuzz';
import { fuzzSaeImport, type FuzzBase } from './sae-import-fuzz';
import { ZIP_MUTATORS } from './zip-mutators';

const D_IN = 8;
const D_SAE = 16;
const sae = f.randomSae('relu', D_IN, D_SAE, 11);
const TENSORS = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'] as const;
const NUMEL: Record<string, number> = {
  'fc1.weight': D_SAE * D_IN,
  'fc1.bias': D_SAE,
  'fc2.weight': D_IN * D_SAE,
  'fc2.bias': D_IN,
};

// Values that are wrong for any of the four tensors: negative, past the end, beyond 32 and 53 bits.
const HUGE = [2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 + 2, -1, -(2 ** 40)];

/** Pickle lies: one claim about one tensor changed, the archive rebuilt so the zip itself is honest. */
function pickleLies(options: f.PaperTorchOptions): Record<string, Mutator> {
  const rebuilt = (name: string, tensor: string, lie: NonNullable<f.TorchTensorSpec['lie']>) => ({
    name: `${name} of ${tensor}: ${JSON.stringify(lie)}`,
    bytes: f.paperTorchSaeBytes(sae, { ...options, lies: { [tensor]: lie } }),
  });
  const tensor = (random: Random) => pick(random, TENSORS);
  return {
    storageOffset(random) {
      const t = tensor(random);
      return rebuilt('storage_offset', t, { storageOffset: pick(random, [1, NUMEL[t], NUMEL[t] - 1, ...HUGE]) });
    },
    stride(random) {
      const t = tensor(random);
      const twoD = t.endsWith('weight');
      // Never a valid permutation of the honest strides: those describe another (legal) view.
      const strides = twoD
        ? [[1], [], [0, 0], [0, 1], [D_IN, 0], [-1, 1], [2 ** 40, 1], [1, 2 ** 31], [D_IN, 1, 1]]
        : [[], [0], [-1], [2], [2 ** 40], [1, 1]];
      return rebuilt('stride', t, { stride: pick(random, strides) });
    },
    shape(random) {
      const t = tensor(random);
      const n = NUMEL[t];
      const sizes = t.endsWith('weight')
        ? [[n], [D_SAE + 1, D_IN], [2 ** 40, D_IN], [-D_SAE, D_IN], [D_SAE, D_IN, 1, 2]]
        : [[n + 1], [2 ** 40], [-n], [n, 2], [2 ** 53 + 2]];
      return rebuilt('size', t, { size: pick(random, sizes) });
    },
    hugeView(random) {
      // A stride-0 view that would materialise terabytes from a few bytes.
      const t = pick(random, ['fc1.bias', 'fc2.bias'] as const);
      return rebuilt('expanded view', t, { size: [pick(random, [2 ** 32, 2 ** 40])], stride: [0] });
    },
    storageNumel(random) {
      const t = tensor(random);
      return rebuilt('storage numel', t, { storageNumel: pick(random, [NUMEL[t] - 1, NUMEL[t] + 1, 0, ...HUGE]) });
    },
    nonFinite(random) {
      const copy = {
        ...sae,
        W_enc: Float32Array.from(sae.W_enc),
        b_enc: Float32Array.from(sae.b_enc),
        W_dec: Float32Array.from(sae.W_dec),
        b_dec: Float32Array.from(sae.b_dec),
      };
      const field = pick(random, ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const);
      const value = pick(random, [NaN, Infinity, -Infinity]);
      const at = below(random, copy[field].length);
      copy[field][at] = value;
      return { name: `${value} in ${field}[${at}]`, bytes: f.paperTorchSaeBytes(copy, options) };
    },
  };
}

function base(label: string, options: f.PaperTorchOptions): FuzzBase {
  return { label, bytes: f.paperTorchSaeBytes(sae, options), structured: { ...ZIP_MUTATORS, ...pickleLies(options) } };
}

describe('torch .pt import fuzzing', () => {
  it('every mutant ends in the original weights or bad_file, leaving the project unchanged on failure', async () => {
    const tally = await fuzzSaeImport({
      extension: '.pt',
      count: fuzzCaseCount(300),
      seed: fuzzSeed(0x70c4),
      bases: [
        base('F32 module.-prefixed', {}),
        base('BF16 non-contiguous parameters', {
          dtype: 'BF16',
          nonContiguous: true,
          asParameter: true,
          modulePrefix: false,
        }),
        base("F16 in PyTorch's zip layout (data descriptors)", { dtype: 'F16', dataDescriptors: true }),
      ],
    });
    // The mutations must exercise both ends: a fuzz run where nothing loads (or nothing fails) tests nothing.
    expect(tally.failed).toBeGreaterThan(tally.ok);
    expect(tally.ok).toBeGreaterThan(0);
  }, 600_000);
});
