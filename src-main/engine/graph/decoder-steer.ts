// One layer's steering in the decoder graph (graph/lm-decoder.ts): its inputs and the nodes that add a
// vector, clip a projection or clamp an SAE feature on the residual stream entering the block.
import { CLAMP_LAYER_NORM_EPS } from '../lm/sae-clamp.js';
import { FLOAT, type GraphBuilder } from './onnx-builder.js';

/** Columns of steer_clamp_param_<L> [B, 7] (lm/sae-clamp.ts clampParams writes them). */
export const CLAMP_PARAM_COLUMNS = [
  'input_scale',
  'normalisation',
  'gate_bias',
  'threshold',
  'magnitude_scale',
  'magnitude_bias',
  'value',
] as const;

/** Names of one layer's steering tensors, wherever they come from (graph inputs, or a loop body's own mask). */
export interface SteerTensorNames {
  delta: string;
  /** [B, S] */
  mask: string;
  dir?: string;
  lo?: string;
  hi?: string;
  clampEnc?: string;
  clampDec?: string;
  clampParam?: string;
}

/**
 * One layer's steer on h [B, S, D]: add mask*delta; then, with projection inputs, clip h.v to
 * [lo, hi] on masked positions; then, with clamp inputs, h += mask*(c - f_i(h)) W_dec[i]. A row has
 * at most one steer per layer and the others' inputs are zeros, which change nothing.
 */
export function emitSteer(
  g: GraphBuilder,
  input: string,
  steer: SteerTensorNames,
  D: number,
  i64: (values: number[]) => string,
): string {
  const axis1 = i64([1]);
  const minus1 = i64([-1]);
  const mask = g.op('Unsqueeze', [steer.mask, minus1]); // [B, S, 1]
  const perRow = (x: string) => g.op('Unsqueeze', [x, i64([1, 2])]); // [B] -> [B, 1, 1]
  let h = g.op('Add', [input, g.op('Mul', [mask, g.op('Unsqueeze', [steer.delta, axis1])])]);
  if (steer.dir && steer.lo && steer.hi) {
    const dir = g.op('Unsqueeze', [steer.dir, axis1]); // [B, 1, D]
    const p = g.op('ReduceSum', [g.op('Mul', [h, dir]), minus1], { keepdims: 1 }); // [B, S, 1]
    const clipped = g.op('Min', [g.op('Max', [p, perRow(steer.lo)]), perRow(steer.hi)]);
    h = g.op('Sub', [h, g.op('Mul', [g.op('Mul', [mask, g.op('Sub', [p, clipped])]), dir])]);
  }
  if (steer.clampEnc && steer.clampDec && steer.clampParam) {
    // f_i as lm/sae-clamp.ts featureActivation reads it; see there for how an SAE folds into the row.
    const param = steer.clampParam;
    const column = (name: (typeof CLAMP_PARAM_COLUMNS)[number]) =>
      g.op('Unsqueeze', [g.op('Gather', [param, i64([CLAMP_PARAM_COLUMNS.indexOf(name)])], { axis: 1 }), minus1]); // [B, 1, 1]
    const x = g.op('Mul', [h, column('input_scale')]);
    const rescaled = g.op('Mul', [
      x,
      g.op('Div', [g.scalar(Math.sqrt(D)), g.op('ReduceL2', [x], { axes: [-1], keepdims: 1 })]),
    ]);
    const centred = g.op('Sub', [x, g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 })]);
    const std = g.op('Sqrt', [
      g.op('Div', [g.op('ReduceSumSquare', [centred], { axes: [-1], keepdims: 1 }), g.scalar(D - 1)]),
    ]);
    const layerNormed = g.op('Div', [centred, g.op('Add', [std, g.scalar(CLAMP_LAYER_NORM_EPS)])]);
    // Where, not a weighted sum: the branch not taken may be NaN (a zero row's norm) and must not leak.
    const mode = column('normalisation');
    const normalised = g.op('Where', [
      g.op('Equal', [mode, g.scalar(1)]),
      rescaled,
      g.op('Where', [g.op('Equal', [mode, g.scalar(2)]), layerNormed, x]),
    ]);
    const raw = g.op('ReduceSum', [g.op('Mul', [normalised, g.op('Unsqueeze', [steer.clampEnc, axis1])]), minus1], {
      keepdims: 1,
    }); // [B, S, 1]
    const open = g.op('Greater', [g.op('Add', [raw, column('gate_bias')]), column('threshold')]);
    const magnitude = g.op('Relu', [
      g.op('Add', [g.op('Mul', [raw, column('magnitude_scale')]), column('magnitude_bias')]),
    ]);
    const feature = g.op('Where', [open, magnitude, g.scalar(0)]);
    const change = g.op('Where', [
      g.op('Greater', [mask, g.scalar(0)]),
      g.op('Sub', [column('value'), feature]),
      g.scalar(0),
    ]);
    h = g.op('Add', [h, g.op('Mul', [change, g.op('Unsqueeze', [steer.clampDec, axis1])])]);
  }
  return h;
}

/** Declare one layer's steering inputs [B, ...] with the given mask input. */
export function declareSteerInputs(
  g: GraphBuilder,
  L: number,
  D: number,
  options: { projection: boolean; clamp: boolean },
  mask: string,
): SteerTensorNames {
  return {
    delta: g.input(`steer_delta_${L}`, FLOAT, ['B', D]),
    mask,
    ...(options.projection
      ? {
          dir: g.input(`steer_dir_${L}`, FLOAT, ['B', D]),
          lo: g.input(`steer_lo_${L}`, FLOAT, ['B']),
          hi: g.input(`steer_hi_${L}`, FLOAT, ['B']),
        }
      : {}),
    ...(options.clamp
      ? {
          clampEnc: g.input(`steer_clamp_enc_${L}`, FLOAT, ['B', D]),
          clampDec: g.input(`steer_clamp_dec_${L}`, FLOAT, ['B', D]),
          clampParam: g.input(`steer_clamp_param_${L}`, FLOAT, ['B', CLAMP_PARAM_COLUMNS.length]),
        }
      : {}),
  };
}

/** The steering input names of layer L other than its mask, in declaration order. */
export function steerInputNames(L: number, options: { projection: boolean; clamp: boolean }): string[] {
  return [
    `steer_delta_${L}`,
    ...(options.projection ? [`steer_dir_${L}`, `steer_lo_${L}`, `steer_hi_${L}`] : []),
    ...(options.clamp ? [`steer_clamp_enc_${L}`, `steer_clamp_dec_${L}`, `steer_clamp_param_${L}`] : []),
  ];
}
