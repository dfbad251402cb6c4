// EleutherAI sparsify directory: cfg.json + sae.safetensors with encoder.weight, encoder.bias,
// W_dec, b_dec. sparsify stores the encoder as nn.Linear ([n_latents, d_in]) while SAELens stores
// W_enc as [d_in, d_sae], so we orient every matrix by its shape against d_in and d_sae, never by
// name alone. Encoding is relu(encoder(x - b_dec)) then TopK(k) (sparsify's Sae.pre_acts/select_topk).
import { join } from 'node:path';
import { badFile } from '../../util/errors.js';
import { shapeText, transpose, type SaeWeights } from '../sae-model.js';
import type { LoadSaeOptions } from './options.js';
import { readJsonObject, positiveInt } from './saelens.js';
import { externalRef, openSafetensors, readSafetensor, type SafetensorsFile } from './safetensors.js';
import { describeSources } from './sources.js';

export const SPARSIFY_CFG = 'cfg.json';
export const SPARSIFY_WEIGHTS = 'sae.safetensors';

function shapeOf(st: SafetensorsFile, name: string): number[] {
  const info = st.tensors.get(name);
  if (!info)
    throw badFile(SPARSIFY_WEIGHTS, name, 'a tensor with this name', `tensors ${[...st.tensors.keys()].join(', ')}`);
  return info.shape;
}

/** Read a [dSae, dIn] or [dIn, dSae] matrix and return it as `want`. */
function oriented(st: SafetensorsFile, name: string, dIn: number, dSae: number, want: 'dIn_dSae' | 'dSae_dIn') {
  const shape = shapeOf(st, name);
  const isSaeIn = shape.length === 2 && shape[0] === dSae && shape[1] === dIn;
  const isInSae = shape.length === 2 && shape[0] === dIn && shape[1] === dSae;
  if (!isSaeIn && !isInSae) {
    throw badFile(
      SPARSIFY_WEIGHTS,
      name,
      `shape [${dSae}, ${dIn}] or [${dIn}, ${dSae}] (d_in ${dIn}, d_sae ${dSae})`,
      shapeText(shape),
    );
  }
  // When dIn === dSae both orientations match; trust sparsify's convention for that name.
  const stored: 'dIn_dSae' | 'dSae_dIn' = isSaeIn ? 'dSae_dIn' : 'dIn_dSae';
  const data = readSafetensor(st, name);
  const out = stored === want ? data : stored === 'dSae_dIn' ? transpose(data, dSae, dIn) : transpose(data, dIn, dSae);
  return { data: out, stored };
}

function vector(st: SafetensorsFile, name: string, length: number, why: string): Float32Array {
  const shape = shapeOf(st, name);
  if (shape.length !== 1 || shape[0] !== length)
    throw badFile(SPARSIFY_WEIGHTS, name, `shape [${length}] (${why})`, shapeText(shape));
  return readSafetensor(st, name);
}

export async function loadSparsify(dir: string, options: LoadSaeOptions = {}): Promise<SaeWeights> {
  const cfgPath = join(dir, SPARSIFY_CFG);
  const weightsPath = join(dir, SPARSIFY_WEIGHTS);
  const cfg = readJsonObject(cfgPath, SPARSIFY_CFG);
  const st = openSafetensors(weightsPath);
  const encShape = shapeOf(st, 'encoder.weight');
  const dIn = typeof cfg.d_in === 'number' ? positiveInt(cfg, 'd_in', SPARSIFY_CFG) : shapeOf(st, 'b_dec')[0];
  const numLatents = typeof cfg.num_latents === 'number' && cfg.num_latents > 0 ? cfg.num_latents : undefined;
  const expansion = typeof cfg.expansion_factor === 'number' ? cfg.expansion_factor * dIn : undefined;
  // encoder.weight is [n_latents, d_in]: whichever axis is not d_in is d_sae.
  const inferred =
    encShape.length === 2
      ? encShape[1] === dIn
        ? encShape[0]
        : encShape[0] === dIn
          ? encShape[1]
          : undefined
      : undefined;
  const dSae = numLatents ?? inferred ?? expansion;
  if (dSae === undefined)
    throw badFile(
      SPARSIFY_WEIGHTS,
      'encoder.weight',
      `a [n_latents, ${dIn}] matrix (d_in ${dIn})`,
      shapeText(encShape),
    );
  const why = `cfg.json gives d_in ${dIn}, d_sae ${dSae}`;
  const k = cfg.k;
  if (!Number.isInteger(k) || (k as number) <= 0 || (k as number) > dSae)
    throw badFile(SPARSIFY_CFG, 'k', `an integer in 1..${dSae}`, JSON.stringify(k));

  const enc = oriented(st, 'encoder.weight', dIn, dSae, 'dIn_dSae');
  const dec = st.tensors.has('W_dec')
    ? oriented(st, 'W_dec', dIn, dSae, 'dSae_dIn').data
    : transpose(enc.data, dIn, dSae); // tied when absent
  const weights: SaeWeights = {
    architecture: 'topk',
    dIn,
    dSae,
    W_enc: enc.data,
    b_enc: vector(st, 'encoder.bias', dSae, why),
    W_dec: dec,
    b_dec: vector(st, 'b_dec', dIn, why),
    k: k as number,
    applyBDecToInput: true,
    normalizeActivations: 'none',
    source: { format: 'sparsify', files: await describeSources([cfgPath, weightsPath], options.skipHash) },
  };
  if (options.inputScale !== undefined) weights.inputScale = options.inputScale;
  const ext = externalRef(st, 'encoder.weight', enc.stored);
  if (ext) weights.external = { W_enc: ext };
  return weights;
}
