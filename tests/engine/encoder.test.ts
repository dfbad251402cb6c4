// Every format x architecture x normalisation: load the generated file, build the ONNX encoder, run
// it on ORT (CPU here) and compare its in-graph top-k with the plain-TS reference computed from the
// RAW generated weights, so a loader that mis-orients or mis-reads a tensor fails here too.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSae } from '../../src-main/engine/formats/detect.js';
import type { LoadSaeOptions } from '../../src-main/engine/formats/options.js';
import { buildBareMatMulModel } from '../../src-main/engine/graph/bare-matmul.js';
import { buildSaeEncoderModel } from '../../src-main/engine/graph/sae-encoder.js';
import { encodeReference } from '../../src-main/engine/reference.js';
import type { SaeArchitecture, SaeFormat, SaeNormalisation, SaeWeights } from '../../src-main/engine/sae-model.js';
import { createSession, ort } from '../../src-main/engine/session.js';
import { expectTopKMatches } from './compare.js';
import * as f from './fixtures.js';

interface Case {
  name: string;
  format: SaeFormat;
  arch: SaeArchitecture;
  dIn: number;
  dSae: number;
  write: (dir: string, sae: f.RawSae) => string;
  /** what the loaded SaeWeights must say beyond the raw tensors */
  expect: Partial<SaeWeights> & { applyBDecToInput: boolean; normalizeActivations: SaeNormalisation };
  options?: LoadSaeOptions;
  /** F16/BF16 files: compare against the loaded (rounded) weights, after checking them against raw */
  lossy?: number;
  inputScale?: number;
}

const cases: Case[] = [];
const NORMS: SaeNormalisation[] = ['none', 'constant_norm_rescale', 'layer_norm'];
for (const arch of ['relu', 'topk', 'jumprelu', 'gated'] as SaeArchitecture[]) {
  NORMS.forEach((normalize, i) => {
    const applyBDecToInput = i !== 1;
    cases.push({
      name: `saelens v6 ${arch} ${normalize}`,
      format: 'saelens',
      arch,
      dIn: 32,
      dSae: 128,
      write: (dir, sae) => f.writeSaeLensDir(join(dir, 'sae'), sae, { normalize, applyBDecToInput }),
      expect: { applyBDecToInput, normalizeActivations: normalize, hookPoint: 'blocks.7.hook_resid_post', layer: 7 },
    });
  });
}
cases.push(
  {
    name: 'saelens v6 topk rescale_acts_by_decoder_norm',
    format: 'saelens',
    arch: 'topk',
    dIn: 24,
    dSae: 96,
    write: (dir, sae) => f.writeSaeLensDir(join(dir, 'sae'), sae, { rescaleActsByDecoderNorm: true }),
    expect: { applyBDecToInput: true, normalizeActivations: 'none', rescaleActsByDecoderNorm: true },
  },
  {
    name: 'saelens pre-6 topk via activation_fn kwargs',
    format: 'saelens',
    arch: 'topk',
    dIn: 16,
    dSae: 64,
    write: (dir, sae) => f.writeSaeLensDir(join(dir, 'sae'), sae, { style: 'pre6', normalize: false }),
    expect: { applyBDecToInput: true, normalizeActivations: 'none', hookPoint: 'blocks.7.hook_resid_post', layer: 7 },
  },
  {
    name: 'saelens pre-6 boolean normalize + activation_scaler.json',
    format: 'saelens',
    arch: 'relu',
    dIn: 16,
    dSae: 64,
    write: (dir, sae) =>
      f.writeSaeLensDir(join(dir, 'sae'), sae, { style: 'pre6', normalize: true, scalingFactor: 2.5 }),
    expect: { applyBDecToInput: true, normalizeActivations: 'none', inputScale: 2.5 },
    inputScale: 2.5,
  },
  {
    name: 'saelens expected_average_only_in with inputScale option',
    format: 'saelens',
    arch: 'jumprelu',
    dIn: 16,
    dSae: 64,
    write: (dir, sae) => f.writeSaeLensDir(join(dir, 'sae'), sae, { normalize: 'expected_average_only_in' }),
    options: { inputScale: 0.5 },
    expect: { applyBDecToInput: true, normalizeActivations: 'none', inputScale: 0.5 },
    inputScale: 0.5,
  },
  {
    name: 'saelens F16 gated',
    format: 'saelens',
    arch: 'gated',
    dIn: 32,
    dSae: 64,
    lossy: 2 ** -11,
    write: (dir, sae) => f.writeSaeLensDir(join(dir, 'sae'), sae, { dtype: 'F16' }),
    expect: { applyBDecToInput: true, normalizeActivations: 'none' },
  },
  {
    name: 'saelens BF16 jumprelu layer_norm',
    format: 'saelens',
    arch: 'jumprelu',
    dIn: 32,
    dSae: 64,
    lossy: 2 ** -8,
    write: (dir, sae) => f.writeSaeLensDir(join(dir, 'sae'), sae, { dtype: 'BF16', normalize: 'layer_norm' }),
    expect: { applyBDecToInput: true, normalizeActivations: 'layer_norm' },
  },
  {
    name: 'sparsify encoder [n_latents, d_in]',
    format: 'sparsify',
    arch: 'topk',
    dIn: 32,
    dSae: 128,
    write: (dir, sae) => f.writeSparsifyDir(join(dir, 'sp'), sae),
    expect: { applyBDecToInput: true, normalizeActivations: 'none' },
  },
  {
    name: 'sparsify encoder stored [d_in, d_sae]',
    format: 'sparsify',
    arch: 'topk',
    dIn: 32,
    dSae: 128,
    write: (dir, sae) => f.writeSparsifyDir(join(dir, 'sp'), sae, { encoderLayout: 'transposed' }),
    expect: { applyBDecToInput: true, normalizeActivations: 'none' },
  },
  {
    name: 'sparsify BF16',
    format: 'sparsify',
    arch: 'topk',
    dIn: 16,
    dSae: 64,
    lossy: 2 ** -8,
    write: (dir, sae) => f.writeSparsifyDir(join(dir, 'sp'), sae, { dtype: 'BF16' }),
    expect: { applyBDecToInput: true, normalizeActivations: 'none' },
  },
  {
    name: 'torch module.fc1/fc2 with x*8',
    format: 'torch',
    arch: 'relu',
    dIn: 64,
    dSae: 256,
    write: (dir, sae) => f.writePaperTorchSae(join(dir, 'sae.pt'), sae),
    options: { inputScale: 8 },
    expect: { applyBDecToInput: false, normalizeActivations: 'none', inputScale: 8 },
    inputScale: 8,
  },
  {
    name: 'torch without module. prefix, Parameters, non-contiguous fc1',
    format: 'torch',
    arch: 'relu',
    dIn: 16,
    dSae: 64,
    write: (dir, sae) =>
      f.writePaperTorchSae(join(dir, 'sae.pth'), sae, { modulePrefix: false, nonContiguous: true, asParameter: true }),
    expect: { applyBDecToInput: false, normalizeActivations: 'none' },
  },
  {
    name: 'torch F16',
    format: 'torch',
    arch: 'relu',
    dIn: 16,
    dSae: 64,
    lossy: 2 ** -11,
    write: (dir, sae) => f.writePaperTorchSae(join(dir, 'sae.pkl'), sae, { dtype: 'F16' }),
    expect: { applyBDecToInput: false, normalizeActivations: 'none' },
  },
  {
    name: 'gemmascope npz stored',
    format: 'gemmascope',
    arch: 'jumprelu',
    dIn: 32,
    dSae: 128,
    write: (dir, sae) => f.writeGemmaScopeNpz(join(dir, 'params.npz'), sae),
    expect: { applyBDecToInput: false, normalizeActivations: 'none' },
  },
  {
    name: 'gemmascope npz deflated',
    format: 'gemmascope',
    arch: 'jumprelu',
    dIn: 32,
    dSae: 128,
    write: (dir, sae) => f.writeGemmaScopeNpz(join(dir, 'params.npz'), sae, { deflate: true }),
    expect: { applyBDecToInput: false, normalizeActivations: 'none' },
  },
  {
    name: 'gemmascope npz F16 deflated',
    format: 'gemmascope',
    arch: 'jumprelu',
    dIn: 16,
    dSae: 64,
    lossy: 2 ** -11,
    write: (dir, sae) => f.writeGemmaScopeNpz(join(dir, 'params.npz'), sae, { deflate: true, dtype: 'F16' }),
    expect: { applyBDecToInput: false, normalizeActivations: 'none' },
  },
);

function expectedWeights(c: Case, raw: f.RawSae, loaded: SaeWeights): SaeWeights {
  if (c.lossy !== undefined) {
    const pairs: [Float32Array, Float32Array][] = [
      [raw.W_enc, loaded.W_enc],
      [raw.W_dec, loaded.W_dec],
      [raw.b_dec, loaded.b_dec],
    ];
    for (const [want, got] of pairs)
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * c.lossy + 1e-7);
    return loaded;
  }
  return {
    ...raw,
    ...c.expect,
    inputScale: c.inputScale,
    rescaleActsByDecoderNorm: c.expect.rescaleActsByDecoderNorm,
    source: loaded.source,
  } as SaeWeights;
}

describe('SAE encoder graphs match the reference', () => {
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const raw = f.randomSae(c.arch, c.dIn, c.dSae, 100 + i);
      const path = c.write(f.tempDir(), raw);
      const w = await loadSae(path, c.options);
      expect(w.source.format).toBe(c.format);
      expect([w.architecture, w.dIn, w.dSae]).toEqual([c.arch, c.dIn, c.dSae]);
      for (const [key, value] of Object.entries(c.expect)) expect(w[key as keyof SaeWeights], key).toEqual(value);
      if (c.arch === 'topk') expect(w.k).toBe(raw.k);
      for (const file of w.source.files) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      if (!c.lossy) {
        expect(w.W_enc).toEqual(raw.W_enc);
        expect(w.W_dec).toEqual(raw.W_dec);
      }

      const want = expectedWeights(c, raw, w);
      const n = 9;
      const x = f.randomInputs(n, c.dIn, 7 + i, 1.5);
      const dense = encodeReference(want, x, n);
      // A topk SAE is also asked for more than its k, which exercises the scatter path.
      const Ks = c.arch === 'topk' ? [Math.min(5, raw.k!), raw.k! + 3] : [10];
      for (const K of Ks) {
        for (const external of [true, false]) {
          const model = buildSaeEncoderModel(w, { topK: K, external });
          if (!external) expect(model.externalDataFolder).toBeUndefined();
          const { session, report } = await createSession(model.bytes, {
            externalDataFolder: model.externalDataFolder,
          });
          expect(report.provider).toBe('cpu');
          const out = await session.run({ x: new ort.Tensor('float32', x, [n, c.dIn]) });
          expect(out.values.dims).toEqual([n, K]);
          expect(out.indices.type).toBe('int64');
          expectTopKMatches(out.values.data as Float32Array, out.indices.data as BigInt64Array, dense, n, c.dSae, K);
          await session.release();
        }
      }
    });
  }

  it('uses external data that points into the original F32 file, and in-memory weights otherwise', async () => {
    const raw = f.randomSae('relu', 32, 128, 5);
    const dir = f.tempDir();
    const st = await loadSae(f.writeSaeLensDir(join(dir, 'a'), raw));
    const viaExternal = buildSaeEncoderModel(st, { topK: 4 });
    const inMemory = buildSaeEncoderModel(st, { topK: 4, external: false });
    expect(viaExternal.externalDataFolder).toBe(join(dir, 'a'));
    expect(viaExternal.bytes.length).toBeLessThan(32 * 128 * 4);
    expect(inMemory.bytes.length).toBeGreaterThan(32 * 128 * 4);
    const torch = await loadSae(f.writePaperTorchSae(join(dir, 'p.pt'), raw));
    expect(torch.external?.W_enc?.layout).toBe('dSae_dIn');
    const deflated = await loadSae(
      f.writeGemmaScopeNpz(join(dir, 'g.npz'), f.randomSae('jumprelu', 16, 64), { deflate: true }),
    );
    expect(deflated.external).toBeUndefined();
    const half = await loadSae(f.writeSaeLensDir(join(dir, 'h'), raw, { dtype: 'F16' }));
    expect(half.external).toBeUndefined();
  });

  it('K as a graph input serves any K with one session', async () => {
    const raw = f.randomSae('topk', 16, 64, 3);
    const w = await loadSae(f.writeSaeLensDir(join(f.tempDir(), 's'), raw));
    const model = buildSaeEncoderModel(w, { topK: 'input' });
    expect(model.inputNames).toEqual(['x', 'k']);
    const { session } = await createSession(model.bytes, { externalDataFolder: model.externalDataFolder });
    const x = f.randomInputs(4, 16, 11);
    const dense = encodeReference(w, x, 4);
    for (const K of [1, 3, raw.k!, 20]) {
      const out = await session.run({
        x: new ort.Tensor('float32', x, [4, 16]),
        k: new ort.Tensor('int64', BigInt64Array.of(BigInt(K)), [1]),
      });
      expectTopKMatches(out.values.data as Float32Array, out.indices.data as BigInt64Array, dense, 4, 64, K);
    }
  });

  it('counts every firing, beyond the top K, over all rows and image rows (ReLU, JumpReLU, gated)', async () => {
    for (const [i, arch] of (['relu', 'jumprelu', 'gated'] as SaeArchitecture[]).entries()) {
      const raw = f.randomSae(arch, 24, 80, 40 + i);
      const w = await loadSae(f.writeSaeLensDir(join(f.tempDir(), arch), raw));
      const model = buildSaeEncoderModel(w, { topK: 'input', counts: true });
      expect(model.inputNames).toEqual(['x', 'k', 'image']);
      expect(model.outputNames).toEqual(['values', 'indices', 'counts']);
      const { session } = await createSession(model.bytes, { externalDataFolder: model.externalDataFolder });
      const n = 12;
      const x = f.randomInputs(n, 24, 17 + i, 1.5);
      const image = Float32Array.from({ length: n }, (_, r) => (r % 3 === 0 ? 1 : 0));
      const dense = encodeReference(w, x, n);
      const want = new Float32Array(2 * 80);
      let widest = 0;
      for (let r = 0; r < n; r++) {
        let fired = 0;
        for (let j = 0; j < 80; j++) {
          if (!(dense[r * 80 + j] > 0)) continue;
          fired++;
          want[j]++;
          if (image[r]) want[80 + j]++;
        }
        widest = Math.max(widest, fired);
      }
      // K = 2 keeps far fewer firings than the rows have, so a count taken from the top-K lists fails.
      expect(widest, arch).toBeGreaterThan(4);
      const out = await session.run({
        x: new ort.Tensor('float32', x, [n, 24]),
        k: new ort.Tensor('int64', BigInt64Array.of(2n), [1]),
        image: new ort.Tensor('float32', image, [n]),
      });
      expect(out.counts.dims, arch).toEqual([2, 80]);
      expect(Array.from(out.counts.data as Float32Array), arch).toEqual(Array.from(want));
      expectTopKMatches(out.values.data as Float32Array, out.indices.data as BigInt64Array, dense, n, 80, 2);
      await session.release();
    }
    // A TopK SAE's firings are all in its top-k output: no counts input or output.
    const topk = await loadSae(f.writeSaeLensDir(join(f.tempDir(), 'topk'), f.randomSae('topk', 16, 64, 3)));
    expect(buildSaeEncoderModel(topk, { topK: 'input', counts: true }).outputNames).toEqual(['values', 'indices']);
  });

  it('the bare MatMul model computes x W', async () => {
    const W = f.randn(16 * 32, f.rng(2));
    const { session } = await createSession(buildBareMatMulModel(16, 32, W), { providers: 'cpu' });
    const x = f.randomInputs(3, 16);
    const y = (await session.run({ x: new ort.Tensor('float32', x, [3, 16]) })).y.data as Float32Array;
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 32; j++) {
        let s = 0;
        for (let i = 0; i < 16; i++) s += x[r * 16 + i] * W[i * 32 + j];
        expect(y[r * 32 + j]).toBeCloseTo(s, 4);
      }
    }
  });

  it('reports the provider that ran and why', async () => {
    const model = buildBareMatMulModel(8, 8);
    const auto = await createSession(model);
    expect(auto.report.provider).toBe('cpu');
    expect(auto.report.attempts.map((a) => a.provider)).toEqual(['cuda', 'cpu']);
    expect(auto.report.reason).toMatch(/^cuda: .+; using cpu$/);
    const cpu = await createSession(model, { providers: 'cpu' });
    expect(cpu.report.attempts).toEqual([{ provider: 'cpu' }]);
    await expect(createSession(model, { providers: 'cuda' })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/no execution provider could run the model: cuda: /),
    });
  });
});
