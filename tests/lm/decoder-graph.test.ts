// The ONNX decoder graph on ORT (CPU here) against the fp64 reference pass and the transformers
// fixtures: whole-sequence logits, prefill + cached decode steps, batched with left padding and
// unbatched, steered (prompt / generated / all / explicit positions) and not, ids and embeds input,
// residual capture, and greedy tokens equal to transformers'.
//
// Tolerance: 1e-4 of max(1, largest |logit| of the row), the bar. ORT computes in float32, whose
// rounding over these few layers stays around 1e-6 relative (the reference test measures transformers'
// float32 at 2.6e-6), while a graph that mis-rotates, mis-masks a key (window, padding, causality) or
// misses a steer is off by 1e-2 or more: disabling the sliding window or the steer Add fails this file.
import { describe, expect, it } from 'vitest';
import { buildDecoderModel, type DecoderBuildOptions } from '../../src-main/engine/graph/lm-decoder.js';
import { DecodeRun, greedyDecode, type DecoderSession } from '../../src-main/engine/lm/decode.js';
import { openLmFolder, readLmWeights, type LmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceForward } from '../../src-main/engine/lm/reference.js';
import type { AddSteer, Steer } from '../../src-main/engine/lm/steering.js';
import { createSession, ort } from '../../src-main/engine/session.js';
import { expected, fixtureFolder, HF_MODELS, type HfModelName } from './hf-fixtures.js';

const TOLERANCE = 1e-4;

function expectRowClose(
  actual: ArrayLike<number>,
  actualOffset: number,
  wanted: ArrayLike<number>,
  wantedOffset: number,
  length: number,
  what: string,
): void {
  let scale = 1;
  for (let i = 0; i < length; i++) scale = Math.max(scale, Math.abs(wanted[wantedOffset + i]));
  for (let i = 0; i < length; i++) {
    const diff = Math.abs(actual[actualOffset + i] - wanted[wantedOffset + i]);
    if (diff > TOLERANCE * scale)
      throw new Error(`${what}: index ${i}: ${actual[actualOffset + i]} vs reference ${wanted[wantedOffset + i]}`);
  }
}

const weightsCache = new Map<HfModelName, LmWeights>();
function weights(name: HfModelName): LmWeights {
  if (!weightsCache.has(name)) weightsCache.set(name, readLmWeights(openLmFolder(fixtureFolder(name))));
  return weightsCache.get(name)!;
}

async function session(name: HfModelName, options: DecoderBuildOptions = {}): Promise<DecoderSession> {
  const model = buildDecoderModel(weights(name), options);
  const { session } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
  return { session, model };
}

function steerOf(name: HfModelName, positions: AddSteer['positions'] = 'prompt', scale = 1): AddSteer {
  const { layer, k, vector } = expected(name).steer;
  return { layer, delta: vector.map((x) => scale * k * x), positions };
}

describe.each(HF_MODELS)('decoder graph: %s', (name) => {
  const want = expected(name);

  it('greedy tokens equal transformers, batched with left padding, plain and steered', async () => {
    const ds = await session(name, { steerLayers: [want.steer.layer] });
    const prompts = want.prompts.map((p) => p.ids);
    expect(await greedyDecode(ds, { prompts, tokens: 20 })).toEqual(want.prompts.map((p) => p.greedy));
    const steers = prompts.map(() => [steerOf(name)]);
    expect(await greedyDecode(ds, { prompts, tokens: 20, steers })).toEqual(want.prompts.map((p) => p.steered_greedy));
  });

  it('logits at every position match the reference and transformers, with hidden_states captured', async () => {
    const layers = Object.keys(want.hidden_states.layers)
      .map(Number)
      .filter((L) => L < weights(name).config.nLayers);
    const ds = await session(name, { logits: 'all', steerLayers: [], captureLayers: layers });
    for (const [index, p] of want.prompts.entries()) {
      const S = p.ids.length;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(p.ids, BigInt), [1, S]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from(p.ids.keys(), BigInt), [1, S]),
      };
      const { nLayers, nKvHeads, headDim, vocabSize: V, dModel: D } = ds.model.config;
      for (let l = 0; l < nLayers; l++) {
        feeds[`past_key_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, nKvHeads, 0, headDim]);
        feeds[`past_value_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, nKvHeads, 0, headDim]);
      }
      const out = await ds.session.run(feeds);
      const ref = referenceForward(weights(name), { ids: p.ids, captureLayers: layers });
      const logits = out.logits.data as Float32Array;
      for (let s = 0; s < S; s++) {
        expectRowClose(logits, s * V, ref.logits, s * V, V, `prompt ${index} position ${s} vs reference`);
        expectRowClose(logits, s * V, p.logits, s * V, V, `prompt ${index} position ${s} vs transformers`);
      }
      if (index === want.hidden_states.prompt) {
        for (const L of layers) {
          const hidden = out[`hidden_${L}`].data as Float32Array;
          for (let s = 0; s < S; s++)
            expectRowClose(hidden, s * D, want.hidden_states.layers[L], s * D, D, `hidden_states[${L}] position ${s}`);
        }
      }
    }
  });
});

describe('decoder graph: KV cache, padding and steering positions against the reference', () => {
  // The sliding-window Mistral (window 4 < every prompt) and the GQA Llama with llama3 rope.
  for (const name of ['mistral-bf16', 'llama'] as const) {
    for (const positions of ['prompt', 'generated', 'all', [0, 3, 14]] as AddSteer['positions'][]) {
      it(`${name}: prefill + 6 cached steps, batch of 3 with left padding, steer positions ${JSON.stringify(positions)}`, async () => {
        const ds = await session(name);
        const w = weights(name);
        const V = w.config.vocabSize;
        const prompts = expected(name).prompts.map((p) => p.ids);
        // Row 0 unsteered, rows 1 and 2 steered with different k: one batch serves a k sweep.
        const steers: Steer[][] = [[], [steerOf(name, positions, 1)], [steerOf(name, positions, -0.5)]];
        const run = new DecodeRun(ds, { prompts, steers });
        const sequences = prompts.map((p) => [...p]);
        let logits = await run.prefill();
        for (let step = 0; step <= 6; step++) {
          for (let r = 0; r < prompts.length; r++) {
            const ref = referenceForward(w, { ids: sequences[r], steer: steers[r], promptLength: prompts[r].length });
            expectRowClose(logits, r * V, ref.logits, (sequences[r].length - 1) * V, V, `row ${r} step ${step}`);
          }
          // Feed fixed tokens rather than argmax so every row takes the same, known path.
          const next = prompts.map((_, r) => (7 * step + 11 * r + 5) % V);
          next.forEach((t, r) => sequences[r].push(t));
          if (step < 6) logits = await run.step(next);
        }
      });
    }
  }

  // Ablation and cap on the same batch as an add: each row its own method, one graph.
  for (const name of ['mistral-bf16', 'llama'] as const) {
    it(`${name}: directional ablation and projection cap, cached and batched, match the reference`, async () => {
      const ds = await session(name);
      const w = weights(name);
      const V = w.config.vocabSize;
      const prompts = expected(name).prompts.map((p) => p.ids);
      const { layer, vector } = expected(name).steer;
      const steers: Steer[][] = [
        [{ method: 'ablate', layer, direction: vector, positions: 'all' }],
        [{ method: 'cap', layer, direction: vector, cap: -0.2, positions: 'prompt' }],
        [steerOf(name, 'generated')],
      ];
      const run = new DecodeRun(ds, { prompts, steers });
      const sequences = prompts.map((p) => [...p]);
      let logits = await run.prefill();
      for (let step = 0; step <= 4; step++) {
        for (let r = 0; r < prompts.length; r++) {
          const ref = referenceForward(w, { ids: sequences[r], steer: steers[r], promptLength: prompts[r].length });
          expectRowClose(logits, r * V, ref.logits, (sequences[r].length - 1) * V, V, `row ${r} step ${step}`);
        }
        const next = prompts.map((_, r) => (5 * step + 3 * r + 1) % V);
        next.forEach((t, r) => sequences[r].push(t));
        if (step < 4) logits = await run.step(next);
      }
      // The methods change the answer (so the comparison above is not of three unsteered runs).
      const plain = referenceForward(w, { ids: prompts[0] }).logits;
      const ablated = referenceForward(w, { ids: prompts[0], steer: steers[0] }).logits;
      expect(plain.some((x, i) => Math.abs(x - ablated[i]) > 1e-3)).toBe(true);
    });
  }

  it('in the reference, ablation leaves no projection on v and a cap none above c (the graph matches it above)', () => {
    const name = 'llama';
    const w = weights(name);
    const D = w.config.dModel;
    const { layer, vector: rounded } = expected(name).steer;
    const norm = Math.hypot(...rounded); // the fixture's vector is unit up to its 9 printed digits
    const vector = rounded.map((x) => x / norm);
    for (const steer of [
      { method: 'ablate', layer, direction: vector, positions: 'all' },
      { method: 'cap', layer, direction: vector, cap: 0.1, positions: 'all' },
    ] as Steer[]) {
      const { hidden } = referenceForward(w, {
        ids: expected(name).prompts[1].ids,
        steer: [steer],
        captureLayers: [layer],
      });
      const h = hidden.get(layer)!;
      for (let s = 0; s < h.length / D; s++) {
        let p = 0;
        for (let i = 0; i < D; i++) p += h[s * D + i] * vector[i];
        if (steer.method === 'ablate') expect(Math.abs(p)).toBeLessThan(1e-9);
        else expect(p).toBeLessThanOrEqual(0.1 + 1e-9);
      }
    }
  });

  it('unbatched cached decoding equals the whole-sequence reference, steered', async () => {
    const name = 'llama-linear-f16';
    const ds = await session(name);
    const w = weights(name);
    const V = w.config.vocabSize;
    const prompt = expected(name).prompts[1].ids;
    const steers = [[steerOf(name, 'all')]];
    const run = new DecodeRun(ds, { prompts: [prompt], steers });
    const sequence = [...prompt];
    let logits = await run.prefill();
    for (let step = 0; step < 5; step++) {
      const ref = referenceForward(w, { ids: sequence, steer: steers[0], promptLength: prompt.length });
      expectRowClose(logits, 0, ref.logits, (sequence.length - 1) * V, V, `step ${step}`);
      sequence.push(step + 3);
      logits = await run.step([step + 3]);
    }
  });

  it('inputs_embeds gives the logits of the same ids', async () => {
    const name = 'llava-next';
    const w = weights(name);
    const { dModel: D, nLayers, nKvHeads, headDim, vocabSize: V } = w.config;
    const ids = expected(name).prompts[2].ids;
    const S = ids.length;
    const model = buildDecoderModel(w, { input: 'embeds', logits: 'all', steerLayers: [1], projection: false });
    const { session: s } = await createSession(model.bytes, { providers: 'cpu', intraOpNumThreads: 1 });
    const embeds = new Float32Array(S * D);
    ids.forEach((id, i) => embeds.set(w.tensors.embed.subarray(id * D, (id + 1) * D), i * D));
    const steer = steerOf(name, 'prompt');
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: new ort.Tensor('float32', embeds, [1, S, D]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.keys(), BigInt), [1, S]),
      steer_delta_1: new ort.Tensor('float32', Float32Array.from(steer.delta), [1, D]),
      steer_mask_1: new ort.Tensor('float32', new Float32Array(S).fill(1), [1, S]),
    };
    for (let l = 0; l < nLayers; l++) {
      feeds[`past_key_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, nKvHeads, 0, headDim]);
      feeds[`past_value_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, nKvHeads, 0, headDim]);
    }
    const logits = (await s.run(feeds)).logits.data as Float32Array;
    const ref = referenceForward(w, { embeds, steer: [steer] });
    for (let i = 0; i < S; i++) expectRowClose(logits, i * V, ref.logits, i * V, V, `position ${i}`);
  });

  it('stops a row at EOS when asked, and runs exactly N tokens otherwise', async () => {
    const name = 'llama';
    const ds = await session(name, { steerLayers: [] });
    const prompts = expected(name).prompts.map((p) => p.ids);
    const full = await greedyDecode(ds, { prompts, tokens: 20 });
    // Pretend the token row 1 generates third is EOS: that row ends there, the others run on.
    const eos = full[1][2];
    const stopped = await greedyDecode(
      { ...ds, model: { ...ds.model, config: { ...ds.model.config, eosTokenIds: [eos] } } },
      { prompts, tokens: 20, stopAtEos: true },
    );
    for (let r = 0; r < prompts.length; r++) {
      const cut = full[r].indexOf(eos);
      expect(stopped[r]).toEqual(cut === -1 ? full[r] : full[r].slice(0, cut + 1));
    }
    expect(stopped[1].length).toBe(3);
  });
});
