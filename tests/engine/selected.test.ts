// encodeSelected (the selected-features graph mining uses for example arrays) against the plain-TS
// reference, for every architecture, each W_enc layout (external [d_in, d_sae], external
// [d_sae, d_in], in memory) and the normalisations: acts [n, F] equal the reference's columns within
// 1e-4 relative, for unsorted feature lists with repeats.
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineClient } from '../../src-main/engine/client.js';
import { loadSae } from '../../src-main/engine/formats/detect.js';
import type { LoadSaeOptions } from '../../src-main/engine/formats/options.js';
import { createEngineHandlers } from '../../src-main/engine/handlers.js';
import { encodeReference } from '../../src-main/engine/reference.js';
import type { SaeArchitecture } from '../../src-main/engine/sae-model.js';
import * as f from './fixtures.js';

interface Case {
  name: string;
  arch: SaeArchitecture;
  write: (dir: string, sae: f.RawSae) => string;
  options?: LoadSaeOptions;
}

const D_IN = 24;
const D_SAE = 80;
const cases: Case[] = [
  { name: 'saelens relu (external [d_in, d_sae])', arch: 'relu', write: (d, s) => f.writeSaeLensDir(join(d, 's'), s) },
  {
    name: 'saelens topk constant_norm_rescale',
    arch: 'topk',
    write: (d, s) => f.writeSaeLensDir(join(d, 's'), s, { normalize: 'constant_norm_rescale' }),
  },
  {
    name: 'saelens topk rescale_acts_by_decoder_norm',
    arch: 'topk',
    write: (d, s) => f.writeSaeLensDir(join(d, 's'), s, { rescaleActsByDecoderNorm: true }),
  },
  {
    name: 'saelens jumprelu layer_norm',
    arch: 'jumprelu',
    write: (d, s) => f.writeSaeLensDir(join(d, 's'), s, { normalize: 'layer_norm' }),
  },
  { name: 'saelens gated', arch: 'gated', write: (d, s) => f.writeSaeLensDir(join(d, 's'), s) },
  {
    name: 'sparsify topk (external [d_sae, d_in])',
    arch: 'topk',
    write: (d, s) => f.writeSparsifyDir(join(d, 'sp'), s),
  },
  {
    name: 'sparsify topk stored [d_in, d_sae]',
    arch: 'topk',
    write: (d, s) => f.writeSparsifyDir(join(d, 'sp'), s, { encoderLayout: 'transposed' }),
  },
  {
    name: 'torch relu x*8 (external [d_sae, d_in])',
    arch: 'relu',
    write: (d, s) => f.writePaperTorchSae(join(d, 'sae.pt'), s),
    options: { inputScale: 8 },
  },
  {
    name: 'gemmascope jumprelu deflated (in memory)',
    arch: 'jumprelu',
    write: (d, s) => f.writeGemmaScopeNpz(join(d, 'params.npz'), s, { deflate: true }),
  },
];

const FEATURES = Int32Array.of(D_SAE - 1, 3, 0, 41, 3, 17);

function expectColumnsMatch(acts: Float32Array, dense: Float32Array, n: number, features: Int32Array): void {
  expect(acts.length).toBe(n * features.length);
  for (let r = 0; r < n; r++) {
    features.forEach((feature, c) => {
      const want = dense[r * D_SAE + feature];
      const got = acts[r * features.length + c];
      if (Math.abs(got - want) > 1e-4 * Math.max(1, Math.abs(want)))
        throw new Error(`row ${r} feature ${feature}: ${got} vs reference ${want}`);
    });
  }
}

describe('encodeSelected matches the reference', () => {
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const raw = f.randomSae(c.arch, D_IN, D_SAE, 300 + i);
      const path = c.write(f.tempDir(), raw);
      // The reference runs on the loaded weights (orientation, scale and normalisation as read).
      const w = await loadSae(path, c.options);
      const n = 7;
      const x = f.randomInputs(n, D_IN, 40 + i, 1.5);
      const dense = encodeReference(w, x, n);
      // Some firing features among the chosen ones, so the comparison is not all zeros.
      expect(
        FEATURES.some((feature) => Array.from({ length: n }, (_, r) => dense[r * D_SAE + feature]).some((v) => v > 0)),
      ).toBe(true);
      for (const externalData of [true, false]) {
        const handlers = createEngineHandlers();
        try {
          const loaded = await handlers.loadSae({
            source: { kind: 'path', path, ...(c.options ? { options: c.options } : {}) },
            externalData,
            providers: 'cpu',
          });
          const {
            acts,
            n: rows,
            f: width,
          } = await handlers.encodeSelected({
            saeId: loaded.saeId,
            x: Float32Array.from(x),
            n,
            features: FEATURES,
            releaseEncoder: true,
          });
          expect([rows, width]).toEqual([n, FEATURES.length]);
          expectColumnsMatch(acts, dense, n, FEATURES);
          // The top-k encoder was released; the selected graph keeps serving.
          await expect(
            handlers.encodeBatch({ saeId: loaded.saeId, x: Float32Array.from(x), n, topK: 2 }),
          ).rejects.toMatchObject({ code: 'invalid_input' });
          const again = await handlers.encodeSelected({
            saeId: loaded.saeId,
            x: Float32Array.from(x.subarray(0, 2 * D_IN)),
            n: 2,
            features: Int32Array.of(17),
          });
          expectColumnsMatch(again.acts, dense, 2, Int32Array.of(17));
        } finally {
          await handlers.disposeAll();
        }
      }
    });
  }

  it('through the worker: buffers transferred, features checked against d_sae', async () => {
    const raw = f.randomSae('gated', D_IN, D_SAE, 7);
    const path = f.writeSaeLensDir(join(f.tempDir(), 's'), raw);
    const w = await loadSae(path);
    const client = EngineClient.start();
    try {
      const loaded = await client.loadSae({ source: { kind: 'path', path }, providers: 'cpu' });
      const x = f.randomInputs(5, D_IN, 9, 1.5);
      const dense = encodeReference(w, x, 5);
      const features = Int32Array.from(FEATURES);
      const { acts } = await client.encodeSelected(loaded.saeId, Float32Array.from(x), features);
      expect(features.byteLength).toBe(0); // transferred
      expectColumnsMatch(acts, dense, 5, FEATURES);
      await expect(
        client.encodeSelected(loaded.saeId, Float32Array.from(x), Int32Array.of(D_SAE)),
      ).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(/feature 80 is outside 0\.\.79/),
      });
    } finally {
      await client.close();
    }
  });
});

describe('encoderOnly loading (what mine asks for)', () => {
  it('skips the matrices ORT reads from the file, still checks their shapes, and keeps W_dec when TopK rescales by it', async () => {
    const raw = f.randomSae('relu', D_IN, D_SAE, 8);
    const dir = f.writeSaeLensDir(join(f.tempDir(), 's'), raw);
    const lean = await loadSae(dir, { encoderOnly: true });
    expect([lean.W_enc.length, lean.W_dec.length]).toEqual([0, 0]);
    expect(lean.external?.W_enc).toMatchObject({ layout: 'dIn_dSae', length: D_IN * D_SAE * 4 });
    expect(lean.b_enc).toEqual(raw.b_enc);
    const rescaled = await loadSae(
      f.writeSaeLensDir(join(f.tempDir(), 'r'), f.randomSae('topk', D_IN, D_SAE, 9), {
        rescaleActsByDecoderNorm: true,
      }),
      { encoderOnly: true },
    );
    expect([rescaled.W_enc.length, rescaled.W_dec.length]).toEqual([0, D_SAE * D_IN]);
    const half = await loadSae(f.writeSaeLensDir(join(f.tempDir(), 'h'), raw, { dtype: 'F16' }), { encoderOnly: true });
    expect(half.W_enc.length).toBe(D_IN * D_SAE); // not F32 on disk: ORT cannot read it externally
    const cfg = JSON.parse(fs.readFileSync(join(dir, 'cfg.json'), 'utf8'));
    fs.writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ ...cfg, d_in: D_IN * 2 }));
    await expect(loadSae(dir, { encoderOnly: true })).rejects.toThrow(
      /sae_weights\.safetensors: W_enc: expected shape \[48, 80\]/,
    );
  });
});
