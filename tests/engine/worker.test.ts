// The real worker thread: typed protocol, transferred buffers, errors as AppErrors.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient, resolveWorkerEntry } from '../../src-main/engine/client.js';
import { encodeReference } from '../../src-main/engine/reference.js';
import type { SaeWeights } from '../../src-main/engine/sae-model.js';
import { AppError } from '../../src-main/util/errors.js';
import { expectTopKMatches } from './compare.js';
import * as f from './fixtures.js';

let client: EngineClient;
beforeAll(() => {
  client = EngineClient.start();
});
afterAll(async () => {
  await client.close();
});

describe('engine worker', () => {
  it('resolves the TypeScript entry from sources', () => {
    const entry = resolveWorkerEntry();
    expect(entry.file.endsWith(join('engine', 'worker.ts'))).toBe(true);
    expect(entry.tsLoader).toBe('tsx');
  });

  it('loads from a path, encodes batches with any topK, reports the provider, disposes', async () => {
    const raw = f.randomSae('jumprelu', 32, 128, 21);
    const path = f.writeGemmaScopeNpz(join(f.tempDir(), 'params.npz'), raw);
    const loaded = await client.loadSae({ source: { kind: 'path', path } });
    expect(loaded).toMatchObject({
      architecture: 'jumprelu',
      dIn: 32,
      dSae: 128,
      externalData: true,
      countsAllFirings: true,
      provider: { provider: 'cpu' },
    });
    expect(loaded.provider.reason).toMatch(/^cuda: .+; using cpu$/);
    expect(loaded.source.files[0]).toMatchObject({ path, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const want: SaeWeights = { ...raw, applyBDecToInput: false, normalizeActivations: 'none', source: loaded.source };
    for (const topK of [3, 17]) {
      const x = f.randomInputs(6, 32, topK, 2);
      const dense = encodeReference(want, x, 6);
      const result = await client.encodeBatch(loaded.saeId, x, topK);
      expect(x.byteLength).toBe(0); // transferred, not copied
      expect(result).toMatchObject({ n: 6, k: topK, provider: 'cpu' });
      expect(result.indices).toBeInstanceOf(Int32Array);
      expectTopKMatches(result.values, result.indices, dense, 6, 128, topK);
      expect(result.counts).toHaveLength(2 * 128);
    }
    // A TopK SAE's firings are all in its top k: the engine counts nothing more.
    const topk = await client.loadSae({
      source: { kind: 'path', path: f.writeSaeLensDir(join(f.tempDir(), 'topk'), f.randomSae('topk', 16, 64, 23)) },
    });
    expect(topk.countsAllFirings).toBe(false);
    expect((await client.encodeBatch(topk.saeId, f.randomInputs(2, 16, 1), 4)).counts).toBeUndefined();
    expect(await client.dispose(loaded.saeId)).toEqual({ disposed: true });
    await expect(client.encodeBatch(loaded.saeId, new Float32Array(32), 2)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('loads from transferred weights', async () => {
    const raw = f.randomSae('gated', 16, 64, 22);
    const weights: SaeWeights = {
      ...raw,
      applyBDecToInput: true,
      normalizeActivations: 'constant_norm_rescale',
      source: { format: 'saelens', files: [] },
    };
    const x = f.randomInputs(5, 16, 3);
    const dense = encodeReference(weights, x, 5); // before the buffers move to the worker
    const loaded = await client.loadSae({ source: { kind: 'weights', weights } });
    expect(weights.W_enc.byteLength).toBe(0);
    expect(weights.r_mag!.byteLength).toBe(0);
    expect(loaded.externalData).toBe(false);
    const result = await client.encodeBatch(loaded.saeId, x, 8, { copy: true });
    expect(x.byteLength).toBe(5 * 16 * 4);
    expectTopKMatches(result.values, result.indices, dense, 5, 64, 8);
  });

  it('bad files and bad inputs come back as AppErrors with their codes', async () => {
    const bad = f.randomSae('relu', 16, 64);
    bad.W_enc[0] = NaN;
    const dir = f.writeSaeLensDir(join(f.tempDir(), 's'), bad);
    const error = await client.loadSae({ source: { kind: 'path', path: dir } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'bad_file',
      message: 'sae_weights.safetensors: W_enc: expected finite values, found NaN at flat index 0',
    });

    const ok = await client.loadSae({
      source: { kind: 'path', path: f.writeSaeLensDir(join(f.tempDir(), 't'), f.randomSae('relu', 16, 64)) },
    });
    await expect(client.encodeBatch(ok.saeId, new Float32Array(20), 4)).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});
