// The long-lived engine (engine/lm-pool.ts) on the transformers fixtures, in the real worker: a second
// request on the same model reuses the session (loads counted at the worker's door, not by the pool),
// another model evicts it, idling past the limit (on a clock the test moves) releases it, and a stop
// flag raised before decoding ends the batch after its first step.
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src-main/engine/client.js';
import { LmPool, type LmKey } from '../../src-main/engine/lm-pool.js';
import { TestClock } from '../helpers/clock.js';
import { expected, fixtureFolder, type HfModelName } from './hf-fixtures.js';

const IDLE_MS = 60_000;
const clock = new TestClock();
/** The folder of every loadLm that reached the worker, in order. */
const loadsSeen: string[] = [];
let workersStarted = 0;
const pool = new LmPool({
  clock,
  idleMs: IDLE_MS,
  startEngine: () => {
    workersStarted++;
    const client = EngineClient.start();
    const load = client.loadLm.bind(client);
    client.loadLm = (args) => {
      loadsSeen.push(args.folder);
      return load(args);
    };
    return client;
  },
});
afterAll(() => pool.close());

const keyOf = (name: HfModelName): LmKey => ({
  modelSha256: `sha-of-${name}`,
  precision: 'fp32',
  steerLayers: 'all',
  providers: 'cpu',
});

/** Greedy tokens of the fixture's first prompt through the pool; with whether this call loaded. */
function greedy(name: HfModelName, tokens = 8): Promise<{ generated: number[]; loadedNow: boolean }> {
  const ids = expected(name).prompts[0].ids;
  return pool.use(
    keyOf(name),
    { folder: fixtureFolder(name), providers: 'cpu', intraOpNumThreads: 1 },
    async ({ client, loaded, loadedNow }) => {
      const result = await client.generate({ lmId: loaded.lmId, prompts: [ids], tokens });
      return { generated: result.generated[0], loadedNow };
    },
  );
}

describe('the long-lived engine', () => {
  it('keeps a model loaded between requests and reloads only for another model or after idling', async () => {
    const llama = expected('llama').prompts[0].greedy.slice(0, 8);
    expect(await greedy('llama')).toEqual({ generated: llama, loadedNow: true });
    expect(await greedy('llama')).toEqual({ generated: llama, loadedNow: false });
    // Requests that arrive together run one after another on the one session.
    const together = await Promise.all([greedy('llama'), greedy('llama'), greedy('llama')]);
    expect(together.map((r) => r.generated)).toEqual([llama, llama, llama]);
    expect(loadsSeen).toEqual([fixtureFolder('llama')]);
    expect(pool.stats()).toMatchObject({ loads: 1, evictions: 0, held: keyOf('llama') });

    // Another model replaces it (the worker stays; the old session is disposed).
    const f16 = expected('llama-linear-f16').prompts[0].greedy.slice(0, 8);
    expect(await greedy('llama-linear-f16')).toEqual({ generated: f16, loadedNow: true });
    expect(await greedy('llama')).toEqual({ generated: llama, loadedNow: true });
    expect(loadsSeen).toEqual([fixtureFolder('llama'), fixtureFolder('llama-linear-f16'), fixtureFolder('llama')]);
    expect(pool.stats()).toMatchObject({ loads: 3, evictions: 2 });
    expect(workersStarted).toBe(1);

    // Idle just short of the limit: still held. Past it: released, worker and all.
    clock.advance(IDLE_MS - 1);
    expect(await greedy('llama')).toEqual({ generated: llama, loadedNow: false });
    clock.advance(IDLE_MS);
    expect(await greedy('llama')).toEqual({ generated: llama, loadedNow: true });
    expect(pool.stats()).toMatchObject({ loads: 4, evictions: 3, held: keyOf('llama') });
    expect(workersStarted).toBe(2);
  });

  it('a failed request does not stop the next one, nor drop the session', async () => {
    const before = pool.stats().loads;
    await expect(
      pool.use(keyOf('llama'), { folder: fixtureFolder('llama'), providers: 'cpu' }, async ({ client, loaded }) =>
        client.generate({ lmId: loaded.lmId, prompts: [[]], tokens: 2 }),
      ),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect((await greedy('llama')).loadedNow).toBe(false);
    expect(pool.stats().loads).toBe(before);
  });

  it('a stop flag raised before decoding ends every row after its first token', async () => {
    const want = expected('llama').prompts[0];
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(stopFlag, 0, 1);
    const steps: number[] = [];
    const result = await pool.use(
      keyOf('llama'),
      { folder: fixtureFolder('llama'), providers: 'cpu' },
      async ({ client, loaded }) =>
        client.generate({ lmId: loaded.lmId, prompts: [want.ids, want.ids], tokens: 20, stopFlag }, (event) =>
          steps.push(event.step),
        ),
    );
    expect(result.stopped).toBe(true);
    expect(result.generated).toEqual([want.greedy.slice(0, 1), want.greedy.slice(0, 1)]);
    expect(steps).toEqual([0]);
    // Unraised, the same request runs to the end and says nothing of stopping.
    Atomics.store(stopFlag, 0, 0);
    const full = await pool.use(
      keyOf('llama'),
      { folder: fixtureFolder('llama'), providers: 'cpu' },
      async ({ client, loaded }) => client.generate({ lmId: loaded.lmId, prompts: [want.ids], tokens: 20, stopFlag }),
    );
    expect(full.generated).toEqual([want.greedy]);
    expect(full.stopped).toBeUndefined();
  });
});
