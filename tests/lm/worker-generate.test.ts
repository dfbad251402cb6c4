// Generation in the real engine worker on the transformers fixtures: the worker loads the folder,
// decodes greedily with the KV cache, streams every step's tokens as events before its answer, and
// gives transformers' 20 greedy tokens, plain and steered (expected.json).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src-main/engine/client.js';
import type { GenerateEvent } from '../../src-main/engine/protocol.js';
import { copyFixture, editJson, expected, fixtureFolder, type HfModelName } from './hf-fixtures.js';
import { join } from 'node:path';

let client: EngineClient;
beforeAll(() => {
  client = EngineClient.start();
});
afterAll(async () => {
  await client.close();
});

describe.each(['llama', 'mistral-bf16'] as HfModelName[])('generation in the engine worker: %s', (name) => {
  const want = expected(name);

  it('streams each step and gives transformers greedy tokens, plain and steered, in one batch', async () => {
    const loaded = await client.loadLm({ folder: fixtureFolder(name), providers: 'auto', intraOpNumThreads: 1 });
    expect(loaded.provider.provider).toBe('cpu');
    expect(loaded.provider.reason).toMatch(/^cuda: .+; using cpu$/);
    expect(loaded.ortVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(loaded.steerLayers).toEqual(Array.from({ length: loaded.config.nLayers }, (_, i) => i));

    const { layer, k, vector } = want.steer;
    const prompts = [...want.prompts.map((p) => p.ids), ...want.prompts.map((p) => p.ids)];
    const steers = prompts.map((_, r) =>
      r < want.prompts.length
        ? []
        : [{ layer, delta: Float32Array.from(vector, (x) => k * x), positions: 'prompt' as const }],
    );
    const events: GenerateEvent[] = [];
    let answered = false;
    const result = await client.generate({ lmId: loaded.lmId, prompts, steers, tokens: 20 }, (event) => {
      expect(answered).toBe(false); // events come before the answer, never after
      events.push(event);
    });
    answered = true;
    expect(result.generated).toEqual([
      ...want.prompts.map((p) => p.greedy),
      ...want.prompts.map((p) => p.steered_greedy),
    ]);
    expect(result.provider).toBe('cpu');
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The streamed tokens, put together, are the answer.
    expect(prompts.map((_, r) => events.map((e) => e.tokens[r]))).toEqual(result.generated);
    expect(await client.disposeLm(loaded.lmId)).toEqual({ disposed: true });
  });
});

describe('generation errors cross the worker as AppErrors', () => {
  it('a bad folder is refused with the reader named error', async () => {
    const dir = copyFixture('llama');
    editJson(join(dir, 'config.json'), (json) => {
      json.architectures = ['GPT2LMHeadModel'];
    });
    await expect(client.loadLm({ folder: dir, providers: 'cpu' })).rejects.toMatchObject({
      code: 'bad_file',
      details: { file: 'config.json', field: 'architectures' },
    });
  });

  it('a steer at a layer the model lacks, a wrong-length vector, an unknown model', async () => {
    const loaded = await client.loadLm({
      folder: fixtureFolder('llama-linear-f16'),
      providers: 'cpu',
      intraOpNumThreads: 1,
    });
    const ids = expected('llama-linear-f16').prompts[0].ids;
    await expect(
      client.generate({
        lmId: loaded.lmId,
        prompts: [ids],
        tokens: 2,
        steers: [[{ layer: 7, delta: new Float32Array(64), positions: 'all' }]],
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      client.generate({
        lmId: loaded.lmId,
        prompts: [ids],
        tokens: 2,
        steers: [[{ layer: 1, delta: new Float32Array(3), positions: 'all' }]],
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await client.disposeLm(loaded.lmId);
    await expect(client.generate({ lmId: loaded.lmId, prompts: [ids], tokens: 2 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
