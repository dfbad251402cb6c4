// Generation in the real engine worker on the transformers fixtures: the worker loads the folder,
// decodes greedily with the KV cache, streams every step's tokens as events before its answer, and
// gives transformers' 20 greedy tokens, plain and steered (expected.json); the in-graph decode loop,
// forced on CPU, gives what the worker loop gives, and the choice between them is CUDA-and-greedy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src-main/engine/client.js';
import { chooseDecodeLoop } from '../../src-main/engine/lm/decode-loop.js';
import { saeFeatureRow } from '../../src-main/engine/lm/sae-clamp.js';
import type { Steer } from '../../src-main/engine/lm/steering.js';
import type { GenerateEvent } from '../../src-main/engine/protocol.js';
import { randomSaeWeights } from '../engine/fixtures.js';
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

describe('which decode loop the worker runs', () => {
  it('the in-graph loop on CUDA when greedy; the worker loop on CPU and whenever sampling', () => {
    expect(chooseDecodeLoop({ provider: 'cuda', sampled: false })).toBe('graph');
    expect(chooseDecodeLoop({ provider: 'cuda', sampled: true })).toBe('worker');
    expect(chooseDecodeLoop({ provider: 'cpu', sampled: false })).toBe('worker');
    expect(chooseDecodeLoop({ provider: 'cpu', sampled: false, requested: 'graph' })).toBe('graph');
    expect(chooseDecodeLoop({ provider: 'cuda', sampled: false, requested: 'worker' })).toBe('worker');
    expect(() => chooseDecodeLoop({ provider: 'cuda', sampled: true, requested: 'graph' })).toThrow(/greedy only/);
  });

  it('forced to the graph on CPU: the same tokens, steps and KL strengths as the worker loop, and says which ran', async () => {
    const name = 'llama';
    const want = expected(name);
    const loaded = await client.loadLm({ folder: fixtureFolder(name), providers: 'cpu', intraOpNumThreads: 1 });
    const { layer, k, vector } = want.steer;
    const D = loaded.config.dModel;
    const sae = randomSaeWeights('relu', D, 32, 4);
    const steers: Steer[][] = [
      [],
      [{ layer, delta: Float32Array.from(vector, (x) => k * x), positions: 'prompt' }],
      [{ method: 'cap', layer, direction: vector, cap: -0.3, positions: 'all' }],
      [{ method: 'clamp', layer, feature: saeFeatureRow(sae, 2), value: 8, positions: 'all' }],
    ];
    const prompts = steers.map(() => want.prompts[0].ids);
    const run = async (loop: 'graph' | 'worker') => {
      const events: GenerateEvent[] = [];
      const result = await client.generate(
        { lmId: loaded.lmId, prompts, steers, tokens: 12, strength: true, loop },
        (event) => events.push(event),
      );
      return { result, events };
    };
    const graph = await run('graph');
    const worker = await run('worker');
    expect(graph.result.loop).toBe('graph');
    expect(worker.result.loop).toBe('worker');
    expect(graph.result.generated).toEqual(worker.result.generated);
    expect(graph.result.generated[1]).toEqual(want.prompts[0].steered_greedy.slice(0, 12));
    expect(graph.events).toEqual(worker.events);
    expect(graph.result.klBaseline).toEqual(['self', 'batch', 'batch', 'batch']);
    expect(graph.result.kl).toEqual(worker.result.kl);
    expect(graph.result.kl![0]).toBe(0);
    // add and clamp move the first token's distribution; this cap first bites on generated tokens.
    expect(graph.result.kl![1]).toBeGreaterThan(0);
    expect(graph.result.kl![3]).toBeGreaterThan(0);
    expect(graph.result.generated[2]).not.toEqual(graph.result.generated[0]);
    // Left to choose on CPU, the worker loop runs; asked to sample on the graph, it refuses.
    expect((await client.generate({ lmId: loaded.lmId, prompts, tokens: 2 })).loop).toBe('worker');
    await expect(
      client.generate({
        lmId: loaded.lmId,
        prompts,
        tokens: 2,
        loop: 'graph',
        sampling: { temperature: 1, seed: 1 },
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await client.disposeLm(loaded.lmId);
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
