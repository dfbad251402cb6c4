// SAELens directory: cfg.json + sae_weights.safetensors (W_enc [d_in, d_sae], W_dec [d_sae, d_in]).
// Handles v6 configs (top-level `architecture`, hook info nested under `metadata`) and pre-6 flat
// configs (hook_point/hook_name, activation_fn(_str) "topk" + activation_fn_kwargs.k, boolean
// normalize_activations), mirroring SAELens' handle_pre_6_0_config.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, badFile } from '../../util/errors.js';
import { assertShape, type SaeArchitecture, type SaeNormalisation, type SaeWeights } from '../sae-model.js';
import { layerFromHook, type LoadSaeOptions } from './options.js';
import { externalRef, openSafetensors, readSafetensor, type SafetensorsFile } from './safetensors.js';
import { describeSources } from './sources.js';

export const SAELENS_CFG = 'cfg.json';
export const SAELENS_WEIGHTS = 'sae_weights.safetensors';
export const SAELENS_SCALER = 'activation_scaler.json';

type Cfg = Record<string, unknown>;

export function readJsonObject(path: string, file: string): Cfg {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw badFile(file, '(whole file)', 'valid JSON', (error as Error).message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw badFile(file, '(whole file)', 'a JSON object');
  return value as Cfg;
}

export function positiveInt(cfg: Cfg, key: string, file: string): number {
  const v = cfg[key];
  if (!Number.isInteger(v) || (v as number) <= 0) throw badFile(file, key, 'a positive integer', JSON.stringify(v));
  return v as number;
}

function architectureOf(cfg: Cfg): { arch: string; activation: string } {
  const meta = (cfg.metadata ?? cfg.meta ?? {}) as Cfg;
  const nested = cfg.architecture && typeof cfg.architecture === 'object' ? (cfg.architecture as Cfg).name : undefined;
  const arch = String(nested ?? cfg.architecture ?? meta.architecture ?? 'standard');
  const activation = String(cfg.activation_fn ?? cfg.activation_fn_str ?? 'relu');
  return { arch, activation };
}

function normalisationOf(cfg: Cfg): SaeNormalisation | 'expected_average_only_in' {
  const v = cfg.normalize_activations;
  if (v === undefined || v === null || v === false || v === 'none') return 'none';
  if (v === true) return 'expected_average_only_in'; // pre-6 boolean: the April-update scaling
  if (v === 'constant_norm_rescale' || v === 'layer_norm' || v === 'expected_average_only_in') return v;
  throw badFile(
    SAELENS_CFG,
    'normalize_activations',
    'none, expected_average_only_in, constant_norm_rescale or layer_norm',
    JSON.stringify(v),
  );
}

function scaleFromScaler(dir: string): number | undefined {
  const path = join(dir, SAELENS_SCALER);
  if (!existsSync(path)) return undefined;
  const s = readJsonObject(path, SAELENS_SCALER).scaling_factor;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0)
    throw badFile(SAELENS_SCALER, 'scaling_factor', 'a positive number', JSON.stringify(s));
  return s;
}

/** The layer the config gives (v6 metadata.hook_layer, pre-6 hook_layer/hook_point_layer), else the one in the hook name. */
function layerOf(cfg: Cfg, meta: Cfg, hookPoint: string | undefined): number | undefined {
  const given = (
    [
      ['metadata.hook_layer', meta.hook_layer],
      ['hook_layer', cfg.hook_layer],
      ['hook_point_layer', cfg.hook_point_layer],
    ] as const
  ).find(([, value]) => value !== undefined && value !== null);
  if (!given) return layerFromHook(hookPoint);
  const [field, value] = given;
  // A non-number (say "7") was never read as a layer; a number must be one, since it is recorded with the SAE.
  if (typeof value !== 'number') return layerFromHook(hookPoint);
  if (!Number.isSafeInteger(value) || value < 0)
    throw badFile(SAELENS_CFG, field, 'a whole number >= 0 (the layer the SAE reads)', JSON.stringify(value));
  return value;
}

function tensor(st: SafetensorsFile, name: string, shape: number[], why: string): Float32Array {
  const info = st.tensors.get(name);
  if (!info) throw badFile(SAELENS_WEIGHTS, name, `a tensor of shape [${shape.join(', ')}] (${why})`, 'missing');
  assertShape(SAELENS_WEIGHTS, name, info.shape, shape, why);
  return readSafetensor(st, name);
}

export async function loadSaeLens(dir: string, options: LoadSaeOptions = {}): Promise<SaeWeights> {
  const cfgPath = join(dir, SAELENS_CFG);
  const weightsPath = join(dir, SAELENS_WEIGHTS);
  const cfg = readJsonObject(cfgPath, SAELENS_CFG);
  const meta = (cfg.metadata ?? cfg.meta ?? {}) as Cfg;
  const dIn = positiveInt(cfg, 'd_in', SAELENS_CFG);
  const dSae = positiveInt(cfg, 'd_sae', SAELENS_CFG);
  const st = openSafetensors(weightsPath);
  const { arch, activation } = architectureOf(cfg);
  const why = `cfg.json says d_in ${dIn}, d_sae ${dSae}`;

  let architecture: SaeArchitecture;
  if (arch === 'topk' || ((arch === 'standard' || arch === 'relu') && activation === 'topk')) architecture = 'topk';
  else if (arch === 'standard' || arch === 'relu') architecture = 'relu';
  else if (arch === 'jumprelu' || arch === 'gated') architecture = arch;
  // SAELens saves BatchTopK SAEs for inference as JumpReLU with a threshold tensor.
  else if (/batchtopk/.test(arch) && (st.tensors.has('threshold') || st.tensors.has('log_threshold')))
    architecture = 'jumprelu';
  else throw badFile(SAELENS_CFG, 'architecture', 'standard, relu, topk, jumprelu or gated', JSON.stringify(arch));

  const lazy = options.encoderOnly === true;
  const skip = (name: string, shape: number[]) => {
    const info = st.tensors.get(name);
    if (!info) throw badFile(SAELENS_WEIGHTS, name, `a tensor of shape [${shape.join(', ')}] (${why})`, 'missing');
    assertShape(SAELENS_WEIGHTS, name, info.shape, shape, why);
    return new Float32Array(0);
  };
  const needDecoder = !lazy || (architecture === 'topk' && cfg.rescale_acts_by_decoder_norm === true);
  const W_enc =
    lazy && externalRef(st, 'W_enc', 'dIn_dSae') ? skip('W_enc', [dIn, dSae]) : tensor(st, 'W_enc', [dIn, dSae], why);
  const W_dec = needDecoder ? tensor(st, 'W_dec', [dSae, dIn], why) : skip('W_dec', [dSae, dIn]);
  const b_dec = tensor(st, 'b_dec', [dIn], why);
  const weights: Partial<SaeWeights> = { architecture, dIn, dSae, W_enc, W_dec, b_dec };

  if (architecture === 'gated') {
    weights.b_gate = tensor(st, 'b_gate', [dSae], why);
    weights.b_mag = tensor(st, 'b_mag', [dSae], why);
    weights.r_mag = tensor(st, 'r_mag', [dSae], why);
    weights.b_enc = weights.b_gate;
  } else {
    weights.b_enc = tensor(st, 'b_enc', [dSae], why);
  }
  if (architecture === 'jumprelu') {
    if (st.tensors.has('threshold')) weights.threshold = tensor(st, 'threshold', [dSae], why);
    else if (st.tensors.has('log_threshold'))
      weights.threshold = tensor(st, 'log_threshold', [dSae], why).map(Math.exp);
    else throw badFile(SAELENS_WEIGHTS, 'threshold', `a tensor of shape [${dSae}] for a jumprelu SAE`, 'missing');
  }
  if (architecture === 'topk') {
    const kwargs = (cfg.activation_fn_kwargs ?? {}) as Cfg;
    const k = cfg.k ?? kwargs.k;
    // Whole numbers only: rounding 0.4 would make a TopK that keeps nothing, and 2.5 is no k SAELens writes.
    if (!Number.isInteger(k) || (k as number) < 1 || (k as number) > dSae)
      throw badFile(SAELENS_CFG, 'k', `a whole number in 1..${dSae} for a topk SAE`, JSON.stringify(k));
    weights.k = k as number;
    weights.rescaleActsByDecoderNorm = cfg.rescale_acts_by_decoder_norm === true;
  }

  const norm = normalisationOf(cfg);
  let inputScale = options.inputScale;
  if (norm === 'expected_average_only_in') {
    // SAELens does not apply this on load (the scale lives outside cfg.json), so we refuse to guess.
    inputScale ??= scaleFromScaler(dir);
    if (inputScale === undefined) {
      throw new AppError(
        'bad_file',
        `${SAELENS_CFG}: normalize_activations: expected_average_only_in needs the dataset scaling factor; ` +
          `pass inputScale or put ${SAELENS_SCALER} ({"scaling_factor": s}) next to ${SAELENS_WEIGHTS}`,
        { file: SAELENS_CFG, field: 'normalize_activations', expected: 'an input scale', found: 'none' },
      );
    }
  }
  weights.normalizeActivations = norm === 'expected_average_only_in' ? 'none' : norm;
  if (inputScale !== undefined) weights.inputScale = inputScale;
  weights.applyBDecToInput = cfg.apply_b_dec_to_input !== false;
  const hookPoint = (meta.hook_name ?? cfg.hook_name ?? cfg.hook_point) as string | undefined;
  if (hookPoint !== undefined) weights.hookPoint = String(hookPoint);
  const layer = layerOf(cfg, meta, weights.hookPoint);
  if (layer !== undefined) weights.layer = layer;
  const ext = externalRef(st, 'W_enc', 'dIn_dSae');
  if (ext) weights.external = { W_enc: ext };
  const files = [cfgPath, weightsPath];
  if (existsSync(join(dir, SAELENS_SCALER))) files.push(join(dir, SAELENS_SCALER));
  weights.source = { format: 'saelens', files: await describeSources(files, options.skipHash) };
  return weights as SaeWeights;
}
