// Greedy decoding inside one ONNX graph (issue 13, the CUDA path): the prefill, then an ONNX Loop whose
// body is one cached decoder step, so the KV cache never leaves the device. onnxruntime-node copies
// every output to host; with the worker-driven loop (lm/decode.ts) that is the whole cache per token,
// here it is only the final tokens [B, N].
//
// Inputs   input_ids, attention_mask, position_ids [B, S] as the decoder graph's prefill (left padded)
//          new_tokens int64 [1]: N, how many tokens per row (exactly N, the paper's way; N >= 1)
//          per steerable layer the decoder graph's steering inputs, steer_mask_<L> [B, S] for the
//          prompt and steer_gen_mask_<L> float [B, N]: column t is 1 when row r steers its generated
//          token t (sequence index promptLength_r + t). The body reads them from the outer scope.
// Outputs  tokens int64 [B, N]
//
// The body is the same emitDecoderPass as the decoder graph over the same weight initializers, and
// ArgMax picks the first of equal logits as lm/sampling.ts argmax does: tokens equal the worker loop's
// (tests/lm/decode-loop.test.ts). Sampling and capture stay on the worker loop.
import type { LmConfig } from '../lm/config.js';
import { type DecoderWeights, isCached } from './decoder-weights.js';
import { checkSteerLayer } from '../lm/steering.js';
import { BOOL, FLOAT, GraphBuilder, INT64 } from './onnx-builder.js';
import {
  declareDecoderWeights,
  declareSteerInputs,
  emitDecoderPass,
  emitLogits,
  steerInputNames,
  type SteerTensorNames,
} from './lm-decoder.js';

export interface LoopBuildOptions {
  /** layers with steering inputs; default every layer */
  steerLayers?: readonly number[];
  /** projection-clip inputs (ablation, cap); default true */
  projection?: boolean;
  /** SAE-clamp inputs; default false */
  clamp?: boolean;
}

export interface LoopModel {
  bytes: Uint8Array;
  config: LmConfig;
  steerLayers: number[];
  projection: boolean;
  clamp: boolean;
  /** folder holding the external-data file of cached weights (give it to createSession) */
  externalDataFolder?: string;
  inputNames: string[];
  outputNames: ['tokens'];
}

export function buildGreedyLoopModel(w: DecoderWeights, options: LoopBuildOptions = {}): LoopModel {
  const c = w.config;
  const { dModel: D, nLayers, nKvHeads, headDim } = c;
  const steerLayers = [...new Set(options.steerLayers ?? Array.from({ length: nLayers }, (_, i) => i))].sort(
    (a, b) => a - b,
  );
  const projection = options.projection !== false;
  const clamp = options.clamp === true;
  for (const L of steerLayers) checkSteerLayer(L, nLayers);

  const g = new GraphBuilder();
  const weights = declareDecoderWeights(g, w);
  const inputIds = g.input('input_ids', INT64, ['B', 'S']);
  const attentionMask = g.input('attention_mask', INT64, ['B', 'S']);
  const positionIds = g.input('position_ids', INT64, ['B', 'S']);
  const newTokens = g.input('new_tokens', INT64, [1]);
  const promptSteer = new Map<number, SteerTensorNames>();
  const genMask = new Map<number, string>();
  for (const L of steerLayers) {
    promptSteer.set(
      L,
      declareSteerInputs(g, L, D, { projection, clamp }, g.input(`steer_mask_${L}`, FLOAT, ['B', 'S'])),
    );
    genMask.set(L, g.input(`steer_gen_mask_${L}`, FLOAT, ['B', 'N']));
  }

  // Prefill: no past, the first token from the last prompt position.
  const prefill = emitDecoderPass(g, c, weights, {
    h: g.op('Gather', [weights.embed, inputIds], { axis: 0 }),
    attentionMask,
    positionIds,
    steer: promptSteer,
    captureLayers: [],
  });
  const firstLogits = emitLogits(g, c, weights, g.op('Gather', [prefill.h, g.int64Scalar(-1)], { axis: 1 }));
  const first = g.op('ArgMax', [firstLogits], { axis: -1, keepdims: 1 }); // [B, 1]

  // The body: token t in, token t+1 out (and as a scan output), mask and cache grown by one.
  const b = new GraphBuilder('body_');
  const iteration = b.input('body_iteration', INT64, []);
  const condIn = b.input('body_cond_in', BOOL, []);
  const token = b.input('body_token', INT64, ['B', 1]);
  const maskIn = b.input('body_mask', INT64, ['B', 'T']);
  const past = Array.from({ length: nLayers }, (_, l) => ({
    key: b.input(`body_past_key_${l}`, FLOAT, ['B', nKvHeads, 'P', headDim]),
    value: b.input(`body_past_value_${l}`, FLOAT, ['B', nKvHeads, 'P', headDim]),
  }));
  const one = b.op('Expand', [b.int64s(b.fresh('one'), [1]), b.op('Shape', [token])]); // [B, 1] of 1
  const mask = b.op('Concat', [maskIn, one], { axis: 1 });
  // Left padding: the new token's rotary position is the row's real-token count minus one.
  const position = b.op('Sub', [b.op('ReduceSum', [mask, b.int64s(b.fresh('axis'), [1])], { keepdims: 1 }), one]);
  const stepSteer = new Map<number, SteerTensorNames>();
  for (const [L, names] of promptSteer) {
    const column = b.op('Unsqueeze', [
      b.op('Gather', [genMask.get(L)!, iteration], { axis: 1 }),
      b.int64s(b.fresh('axis'), [1]),
    ]); // [B, 1]
    stepSteer.set(L, { ...names, mask: column });
  }
  const step = emitDecoderPass(b, c, weights, {
    h: b.op('Gather', [weights.embed, token], { axis: 0 }),
    attentionMask: mask,
    positionIds: position,
    past,
    steer: stepSteer,
    captureLayers: [],
  });
  const next = b.op('ArgMax', [emitLogits(b, c, weights, b.op('Squeeze', [step.h, b.int64s(b.fresh('axis'), [1])]))], {
    axis: -1,
    keepdims: 1,
  });
  const bodyOutputs: [string, number, (number | string)[]][] = [
    [b.op('Identity', [condIn]), BOOL, []],
    [b.op('Identity', [next]), INT64, ['B', 1]],
    [mask, INT64, ['B', 'T1']],
    ...step.present.flatMap(({ key, value }): [string, number, (number | string)[]][] => [
      [key, FLOAT, ['B', nKvHeads, 'T1', headDim]],
      [value, FLOAT, ['B', nKvHeads, 'T1', headDim]],
    ]),
    [b.op('Identity', [next]), INT64, ['B', 1]], // scan output
  ];
  for (const [name, type, dims] of bodyOutputs) b.output(name, type, dims);

  // N tokens: the first from the prefill, N - 1 from the loop.
  const trips = g.op('Squeeze', [g.op('Sub', [newTokens, g.int64s('one', [1])]), g.int64s('axis0', [0])]);
  const carried = [first, attentionMask, ...prefill.present.flatMap(({ key, value }) => [key, value])];
  const loopOut = g.node('Loop', [trips, '', ...carried], carried.length + 1, {
    body: { graph: b.graph('decode_step') },
  });
  const scanned = loopOut[loopOut.length - 1]; // [N - 1, B, 1]
  const rest = g.op('Transpose', [g.op('Squeeze', [scanned, g.int64s('axis2', [2])])], { perm: [1, 0] });
  g.node('Concat', [first, rest], ['tokens'], { axis: 1 });
  g.output('tokens', INT64, ['B', 'N']);

  return {
    bytes: g.encode('lm_greedy_loop'),
    config: c,
    steerLayers,
    projection,
    clamp,
    ...(isCached(w) ? { externalDataFolder: w.folder } : {}),
    inputNames: [
      'input_ids',
      'attention_mask',
      'position_ids',
      'new_tokens',
      ...steerLayers.flatMap((L) => {
        const [delta, ...rest] = steerInputNames(L, { projection, clamp });
        return [delta, `steer_mask_${L}`, `steer_gen_mask_${L}`, ...rest];
      }),
    ],
    outputNames: ['tokens'],
  };
}
