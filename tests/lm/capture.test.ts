// Capture outputs (issue 13): the residual stream entering chosen blocks, reduced in the graph (mean
// over the masked positions [B, D], or the masked rows [N, D] with their (row, position) index), so
// only the reduction crosses to host. Held to the fp64 reference pass and to transformers'
// hidden_states (the committed fixtures), batched with left padding and steered.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel, type CaptureReduce } from '../../src-main/engine/graph/lm-decoder.js';
import { DecodeRun, type DecoderSession } from '../../src-main/engine/lm/decode.js';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceForward } from '../../src-main/engine/lm/reference.js';
import { isSteered, type Steer, type SteerPositions } from '../../src-main/engine/lm/steering.js';
import { createSession } from '../../src-main/engine/session.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

const name = 'mistral-bf16';
const w = readLmWeights(openLmFolder(fixtureFolder(name)));
const D = w.config.dModel;
const want = expected(name);
const layers = [1, 2];
const prompts = want.prompts.map((p) => p.ids);
const { layer: steerLayer, k, vector } = want.steer;
const steers: Steer[][] = [[], [{ layer: steerLayer, delta: vector.map((x) => k * x), positions: 'prompt' }], []];

async function session(captureReduce: CaptureReduce): Promise<DecoderSession> {
  const model = buildDecoderModel(w, { steerLayers: [steerLayer], captureLayers: layers, captureReduce });
  const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
  return { session, model };
}

function expectClose(actual: number, wanted: number, scale: number, what: string): void {
  if (Math.abs(actual - wanted) > 1e-4 * Math.max(1, scale)) throw new Error(`${what}: ${actual} vs ${wanted}`);
}

/** Per row, the reference residual stream [S, D] at each captured layer. */
function referenceHidden(): Map<number, Float64Array>[] {
  return prompts.map((ids, r) => referenceForward(w, { ids, steer: steers[r], captureLayers: layers }).hidden);
}

describe('capture outputs reduced in the graph', () => {
  for (const positions of ['all', [0, 2, 4], 'generated'] as SteerPositions[]) {
    it(`mean over ${JSON.stringify(positions)} equals the reference's mean (batched, left-padded, one row steered)`, async () => {
      const run = new DecodeRun(await session('mean'), { prompts, steers, capture: positions });
      await run.prefill();
      const ref = referenceHidden();
      for (const L of layers) {
        const out = run.lastOutputs![`hidden_${L}`];
        expect(out.dims).toEqual([prompts.length, D]);
        const got = out.data as Float32Array;
        prompts.forEach((ids, r) => {
          const chosen = ids.map((_, s) => s).filter((s) => isSteered(positions, s, ids.length));
          for (let d = 0; d < D; d++) {
            let sum = 0;
            for (const s of chosen) sum += ref[r].get(L)![s * D + d];
            // No chosen position (the prompt has no generated tokens yet): zeros, not NaN.
            const mean = chosen.length === 0 ? 0 : sum / chosen.length;
            expectClose(got[r * D + d], mean, Math.abs(mean), `layer ${L} row ${r} dim ${d}`);
          }
        });
      }
    });
  }

  it('rows: the masked positions in (row, position) order with their index, equal to the reference and to transformers', async () => {
    const positions: SteerPositions = [1, 3, 4];
    const ds = await session('rows');
    const run = new DecodeRun(ds, { prompts, steers, capture: positions });
    await run.prefill();
    const longest = Math.max(...prompts.map((p) => p.length));
    const wantIndex = prompts.flatMap((ids, r) => [1, 3, 4].map((s) => [r, longest - ids.length + s]));
    const index = run.lastOutputs!.capture_index;
    expect(index.dims).toEqual([wantIndex.length, 2]);
    expect(Array.from(index.data as BigInt64Array, Number)).toEqual(wantIndex.flat());
    const ref = referenceHidden();
    for (const L of layers) {
      const got = run.lastOutputs![`hidden_${L}`].data as Float32Array;
      expect(got.length).toBe(wantIndex.length * D);
      let n = 0;
      prompts.forEach((_, r) => {
        for (const s of [1, 3, 4]) {
          for (let d = 0; d < D; d++)
            expectClose(got[n * D + d], ref[r].get(L)![s * D + d], 1, `layer ${L} row ${r} position ${s}`);
          if (r === want.hidden_states.prompt) {
            expect(steers[r]).toEqual([]);
            // transformers' hidden_states[L] (unsteered row) at the same position
            for (let d = 0; d < D; d++)
              expectClose(
                got[n * D + d],
                want.hidden_states.layers[L][s * D + d],
                1,
                `transformers layer ${L} position ${s}`,
              );
          }
          n++;
        }
      });
    }
    // A cached step captures its own position when asked for 'generated'.
    const step = new DecodeRun(ds, { prompts, steers, capture: 'generated' });
    await step.prefill();
    expect(step.lastOutputs!.capture_index.dims).toEqual([0, 2]);
    await step.step([5, 6, 7]);
    expect(Array.from(step.lastOutputs!.capture_index.data as BigInt64Array, Number)).toEqual([0, 0, 1, 0, 2, 0]);
    const refStep = prompts.map(
      (ids, r) =>
        referenceForward(w, { ids: [...ids, 5 + r], steer: steers[r], promptLength: ids.length, captureLayers: layers })
          .hidden,
    );
    for (const L of layers) {
      const got = step.lastOutputs![`hidden_${L}`].data as Float32Array;
      prompts.forEach((ids, r) => {
        for (let d = 0; d < D; d++)
          expectClose(got[r * D + d], refStep[r].get(L)![ids.length * D + d], 1, `step layer ${L} row ${r}`);
      });
    }
  });
});
