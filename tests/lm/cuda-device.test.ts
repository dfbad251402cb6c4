// The CUDA path (issue 13): the in-graph decode loop and the worker loop on onnxruntime's CUDA
// provider give the tokens transformers gives, and each other. Runs only under scripts/device-check.sh
// (SIGHTLINE_DEVICE_CHECK=1), where a missing GPU or CUDA provider is a failure, not a skip; on a
// CPU-only machine the suite is skipped, and tests/lm/decode-loop.test.ts proves the same graphs on CPU.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel } from '../../src-main/engine/graph/lm-decoder.js';
import { buildGreedyLoopModel } from '../../src-main/engine/graph/lm-loop.js';
import { greedyDecode } from '../../src-main/engine/lm/decode.js';
import { loopGreedyDecode } from '../../src-main/engine/lm/decode-loop.js';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { createSession } from '../../src-main/engine/session.js';
import { expected, fixtureFolder, HF_MODELS } from './hf-fixtures.js';

describe.runIf(process.env.SIGHTLINE_DEVICE_CHECK === '1').each(HF_MODELS)('CUDA provider: %s', (name) => {
  it("in-graph loop and worker loop on CUDA: transformers' greedy tokens, plain and steered", async () => {
    const w = readLmWeights(openLmFolder(fixtureFolder(name)));
    const want = expected(name);
    const { layer, k, vector } = want.steer;
    const loopModel = buildGreedyLoopModel(w, { steerLayers: [layer] });
    const workerModel = buildDecoderModel(w, { steerLayers: [layer] });
    const loop = await createSession(loopModel.bytes, { providers: 'cuda' });
    const worker = await createSession(workerModel.bytes, { providers: 'cuda' });
    expect(loop.report.provider).toBe('cuda');
    expect(worker.report.provider).toBe('cuda');
    const prompts = want.prompts.map((p) => p.ids);
    const steers = prompts.map(() => [{ layer, delta: vector.map((x) => k * x), positions: 'prompt' as const }]);
    for (const [rows, wanted] of [
      [undefined, want.prompts.map((p) => p.greedy)],
      [steers, want.prompts.map((p) => p.steered_greedy)],
    ] as const) {
      const started = performance.now();
      const fromLoop = await loopGreedyDecode(
        { session: loop.session, model: loopModel },
        { prompts, tokens: 20, steers: rows },
      );
      const loopMs = performance.now() - started;
      const fromWorker = await greedyDecode(
        { session: worker.session, model: workerModel },
        { prompts, tokens: 20, steers: rows },
      );
      const workerMs = performance.now() - started - loopMs;
      expect(fromLoop).toEqual(wanted);
      expect(fromWorker).toEqual(wanted);
      // Printed for the record (not asserted): the point of the in-graph loop is the copies it saves.
      console.log(
        `${name} ${rows ? 'steered' : 'plain'}: in-graph loop ${loopMs.toFixed(1)} ms, worker loop ${workerMs.toFixed(1)} ms (3 prompts x 20 tokens)`,
      );
    }
  });
});
