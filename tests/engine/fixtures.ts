// Factories for small generated SAE files in every supported format, written by our own writers
// (safetensors, torch.save-style zip + protocol-2 pickle, npz with stored or deflated entries).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import type { SaeArchitecture, SaeNormalisation, SaeWeights } from '../../src-main/engine/sae-model.js';
import { zipWithDataDescriptors } from './zip-edit.js';
import { mulberry32 } from '../../src-main/util/random';
import { floatToHalf } from '../../src-main/engine/formats/dtype';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sightline-engine-'));
}

/** Deterministic PRNG (the app's mulberry32) so failures reproduce. */
export const rng = mulberry32;

export function randn(n: number, random: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random()) * scale;
  }
  return out;
}

export interface RawSae {
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  W_enc: Float32Array; // [dIn, dSae]
  b_enc: Float32Array;
  W_dec: Float32Array; // [dSae, dIn]
  b_dec: Float32Array;
  threshold?: Float32Array;
  b_gate?: Float32Array;
  b_mag?: Float32Array;
  r_mag?: Float32Array;
  k?: number;
}

export function randomSae(architecture: SaeArchitecture, dIn: number, dSae: number, seed = 1): RawSae {
  const r = rng(seed);
  const sae: RawSae = {
    architecture,
    dIn,
    dSae,
    W_enc: randn(dIn * dSae, r, 1 / Math.sqrt(dIn)),
    b_enc: randn(dSae, r, 0.1),
    W_dec: randn(dSae * dIn, r, 1 / Math.sqrt(dSae)),
    b_dec: randn(dIn, r, 0.2),
  };
  if (architecture === 'jumprelu') sae.threshold = Float32Array.from({ length: dSae }, () => 0.05 + 0.3 * r());
  if (architecture === 'gated') {
    sae.b_gate = randn(dSae, r, 0.1);
    sae.b_mag = randn(dSae, r, 0.1);
    sae.r_mag = randn(dSae, r, 0.2);
    sae.b_enc = sae.b_gate;
  }
  if (architecture === 'topk') sae.k = Math.max(2, Math.floor(dSae / 8));
  return sae;
}

/**
 * A random SAE as the engine holds it, read the way writeSaeLensDir's files load by default (b_dec
 * subtracted from the input, no normalisation), without going through a reader.
 */
export function randomSaeWeights(
  architecture: SaeArchitecture,
  dIn: number,
  dSae: number,
  seed = 1,
  options: Partial<SaeWeights> = {},
): SaeWeights {
  return {
    ...randomSae(architecture, dIn, dSae, seed),
    applyBDecToInput: true,
    normalizeActivations: 'none',
    source: { format: 'saelens', files: [] },
    ...options,
  };
}

export function transposeRaw(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

// ---------------------------------------------------------------- dtypes

export type Dtype = 'F32' | 'F16' | 'BF16';

/** The app's float32 → binary16 rounding (round to nearest even), shared so the two cannot drift. */
export const f32ToF16Bits = floatToHalf;

export function encodeDtype(data: Float32Array, dtype: Dtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  const u32 = new Uint32Array(Float32Array.from(data).buffer);
  for (let i = 0; i < data.length; i++) {
    const bits = dtype === 'F16' ? f32ToF16Bits(data[i]) : (u32[i] + 0x7fff + ((u32[i] >>> 16) & 1)) >>> 16;
    view.setUint16(i * 2, bits, true);
  }
  return out;
}

// ---------------------------------------------------------------- safetensors

export interface TensorSpec {
  name: string;
  shape: number[];
  data: Float32Array;
  dtype?: Dtype;
}

export interface SafetensorsTamper {
  /** replace fields of a tensor's header entry after computing honest offsets */
  header?: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void;
  /** cut the file to this many bytes */
  truncateTo?: number;
  /** cut this many bytes off the end */
  truncateBy?: number;
  /** override the 8-byte header length */
  headerLength?: number;
}

export function safetensorsBytes(tensors: TensorSpec[], tamper: SafetensorsTamper = {}): Uint8Array {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    const bytes = encodeDtype(t.data, dtype);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  tamper.header?.(header);
  let json = JSON.stringify({ __metadata__: { format: 'pt' }, ...header });
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(tamper.headerLength ?? headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  if (tamper.truncateBy !== undefined) return out.subarray(0, out.length - tamper.truncateBy);
  return tamper.truncateTo !== undefined ? out.subarray(0, tamper.truncateTo) : out;
}

// ---------------------------------------------------------------- SAELens and sparsify

export interface SaeLensWriteOptions {
  dtype?: Dtype;
  normalize?: SaeNormalisation | 'expected_average_only_in' | boolean;
  applyBDecToInput?: boolean;
  rescaleActsByDecoderNorm?: boolean;
  style?: 'v6' | 'pre6';
  cfgOverrides?: Record<string, unknown>;
  tamper?: SafetensorsTamper;
  /** write activation_scaler.json */
  scalingFactor?: number;
}

export function writeSaeLensDir(dir: string, sae: RawSae, o: SaeLensWriteOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const dtype = o.dtype ?? 'F32';
  const { dIn, dSae } = sae;
  const tensors: TensorSpec[] = [
    { name: 'W_enc', shape: [dIn, dSae], data: sae.W_enc, dtype },
    { name: 'W_dec', shape: [dSae, dIn], data: sae.W_dec, dtype },
    { name: 'b_dec', shape: [dIn], data: sae.b_dec, dtype },
  ];
  if (sae.architecture === 'gated') {
    tensors.push({ name: 'b_gate', shape: [dSae], data: sae.b_gate!, dtype });
    tensors.push({ name: 'b_mag', shape: [dSae], data: sae.b_mag!, dtype });
    tensors.push({ name: 'r_mag', shape: [dSae], data: sae.r_mag!, dtype });
  } else {
    tensors.push({ name: 'b_enc', shape: [dSae], data: sae.b_enc, dtype });
  }
  if (sae.threshold) tensors.push({ name: 'threshold', shape: [dSae], data: sae.threshold, dtype });
  writeFileSync(join(dir, 'sae_weights.safetensors'), safetensorsBytes(tensors, o.tamper));

  const arch = sae.architecture === 'relu' ? 'standard' : sae.architecture;
  const normalize = o.normalize ?? 'none';
  const hook = 'blocks.7.hook_resid_post';
  const cfg: Record<string, unknown> =
    o.style === 'pre6'
      ? {
          // pre-6 flat config: topk expressed as activation_fn + kwargs, hook_point naming
          architecture: sae.architecture === 'topk' ? 'standard' : arch,
          d_in: dIn,
          d_sae: dSae,
          dtype: 'float32',
          hook_point: hook,
          hook_point_layer: 7,
          activation_fn_str: sae.architecture === 'topk' ? 'topk' : 'relu',
          activation_fn_kwargs: sae.architecture === 'topk' ? { k: sae.k } : {},
          apply_b_dec_to_input: o.applyBDecToInput ?? true,
          normalize_activations: normalize,
          sae_lens_training_version: '3.13.0',
        }
      : {
          architecture: arch,
          d_in: dIn,
          d_sae: dSae,
          dtype: 'float32',
          device: 'cpu',
          apply_b_dec_to_input: o.applyBDecToInput ?? true,
          normalize_activations: normalize,
          reshape_activations: 'none',
          ...(sae.architecture === 'topk'
            ? { k: sae.k, rescale_acts_by_decoder_norm: o.rescaleActsByDecoderNorm ?? false }
            : {}),
          metadata: { model_name: 'llava-next-7b', hook_name: hook, sae_lens_version: '6.5.0' },
        };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ ...cfg, ...o.cfgOverrides }));
  if (o.scalingFactor !== undefined)
    writeFileSync(join(dir, 'activation_scaler.json'), JSON.stringify({ scaling_factor: o.scalingFactor }));
  return dir;
}

export function writeSparsifyDir(
  dir: string,
  sae: RawSae,
  o: { encoderLayout?: 'linear' | 'transposed'; dtype?: Dtype } = {},
): string {
  mkdirSync(dir, { recursive: true });
  const { dIn, dSae } = sae;
  const dtype = o.dtype ?? 'F32';
  const enc =
    o.encoderLayout === 'transposed'
      ? { name: 'encoder.weight', shape: [dIn, dSae], data: sae.W_enc, dtype }
      : { name: 'encoder.weight', shape: [dSae, dIn], data: transposeRaw(sae.W_enc, dIn, dSae), dtype };
  writeFileSync(
    join(dir, 'sae.safetensors'),
    safetensorsBytes([
      enc,
      { name: 'encoder.bias', shape: [dSae], data: sae.b_enc, dtype },
      { name: 'W_dec', shape: [dSae, dIn], data: sae.W_dec, dtype },
      { name: 'b_dec', shape: [dIn], data: sae.b_dec, dtype },
    ]),
  );
  writeFileSync(
    join(dir, 'cfg.json'),
    JSON.stringify({
      expansion_factor: dSae / dIn,
      normalize_decoder: true,
      num_latents: 0,
      k: sae.k,
      multi_topk: false,
      skip_connection: false,
      d_in: dIn,
    }),
  );
  return dir;
}

// ---------------------------------------------------------------- pickle + torch zip

/** Protocol-2 pickle writer emitting what torch.save writes for an OrderedDict of tensors. */
export class PickleWriter {
  private bytes: number[] = [];
  private memo = 0;
  private globals = new Map<string, number>();

  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  put(): this {
    return this.op(0x71, this.memo++);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    const len = b.length;
    this.op(0x58, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >>> 24) & 0xff, ...b);
    return this.put();
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31)
      return this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
    // LONG1: little-endian two's complement of the fewest bytes, as pickle writes ints beyond 32 bits.
    const bytes: number[] = [];
    let v = BigInt(n);
    do {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    } while (!((v === 0n && !(bytes[bytes.length - 1] & 0x80)) || (v === -1n && bytes[bytes.length - 1] & 0x80)));
    return this.op(0x8a, bytes.length, ...bytes);
  }
  global(module: string, name: string): this {
    const key = `${module}\n${name}\n`;
    const memo = this.globals.get(key);
    if (memo !== undefined) return this.op(0x68, memo);
    this.globals.set(key, this.memo);
    return this.op(0x63, ...new TextEncoder().encode(key)).put();
  }
  tuple(items: number[]): this {
    if (items.length === 0) return this.op(0x29);
    if (items.length <= 3) {
      for (const i of items) this.int(i);
      return this.op([0x85, 0x86, 0x87][items.length - 1]);
    }
    this.op(0x28);
    for (const i of items) this.int(i);
    return this.op(0x74);
  }
  finish(): Uint8Array {
    return Uint8Array.from([...this.bytes, 0x2e]);
  }
}

export interface TorchTensorSpec {
  name: string;
  shape: number[];
  data: Float32Array;
  dtype?: Dtype;
  /** save the transpose's storage with swapped strides (a non-contiguous view) */
  nonContiguous?: boolean;
  /** lies for bad-file tests: what the pickle claims instead of the honest values */
  lie?: { storageOffset?: number; size?: number[]; stride?: number[]; storageNumel?: number };
}

const STORAGE_CLASS: Record<Dtype, string> = { F32: 'FloatStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage' };

export function torchStateDictPickle(
  tensors: TorchTensorSpec[],
  asParameter = false,
): { pickle: Uint8Array; storages: Uint8Array[] } {
  const w = new PickleWriter();
  const storages: Uint8Array[] = [];
  w.op(0x80, 0x02).global('collections', 'OrderedDict').op(0x29, 0x52).put().op(0x28);
  tensors.forEach((t, key) => {
    const dtype = t.dtype ?? 'F32';
    let stride: number[];
    let stored = t.data;
    if (t.nonContiguous && t.shape.length === 2) {
      // storage holds the [cols, rows] transpose; the tensor views it with strides (1, rows)
      stored = transposeRaw(t.data, t.shape[0], t.shape[1]);
      stride = [1, t.shape[0]];
    } else {
      stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    }
    storages.push(encodeDtype(stored, dtype));
    w.str(t.name);
    if (asParameter) w.global('torch._utils', '_rebuild_parameter');
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.op(0x28); // args MARK
    const lie = t.lie ?? {};
    w.op(0x28)
      .str('storage')
      .global('torch', STORAGE_CLASS[dtype])
      .str(String(key))
      .str('cpu')
      .int(lie.storageNumel ?? t.data.length)
      .op(0x74)
      .put()
      .op(0x51);
    w.int(lie.storageOffset ?? 0)
      .tuple(lie.size ?? t.shape)
      .tuple(lie.stride ?? stride)
      .op(0x89);
    w.global('collections', 'OrderedDict').op(0x29, 0x52).put();
    w.op(0x74).put().op(0x52).put();
    if (asParameter) w.op(0x88).global('collections', 'OrderedDict').op(0x29, 0x52).op(0x87).op(0x52).put();
  });
  w.op(0x75);
  // OrderedDict.__reduce__ state: {'_metadata': {...}} applied by BUILD
  w.op(0x7d).put().str('_metadata').op(0x7d, 0x73).op(0x62);
  return { pickle: w.finish(), storages };
}

/** `dataDescriptors`: lay the zip out as PyTorch's writer does (see zipWithDataDescriptors). */
export function torchZipBytes(
  pickle: Uint8Array,
  storages: Uint8Array[],
  prefix = 'archive',
  o: { dataDescriptors?: boolean } = {},
): Uint8Array {
  const files: Zippable = {
    [`${prefix}/data.pkl`]: pickle,
    [`${prefix}/byteorder`]: new TextEncoder().encode('little'),
    [`${prefix}/version`]: new TextEncoder().encode('3\n'),
  };
  storages.forEach((s, i) => (files[`${prefix}/data/${i}`] = s));
  return o.dataDescriptors ? zipWithDataDescriptors(files as Record<string, Uint8Array>) : zipSync(files, { level: 0 });
}

export function writeTorchZip(path: string, pickle: Uint8Array, storages: Uint8Array[], prefix = 'archive'): string {
  writeFileSync(path, torchZipBytes(pickle, storages, prefix));
  return path;
}

export interface PaperTorchOptions {
  modulePrefix?: boolean;
  dtype?: Dtype;
  nonContiguous?: boolean;
  asParameter?: boolean;
  /** PyTorch's zip layout: data descriptors, zeros in local headers */
  dataDescriptors?: boolean;
  /** per tensor (fc1.weight, fc1.bias, fc2.weight, fc2.bias, without the prefix): what the pickle claims instead */
  lies?: Record<string, TorchTensorSpec['lie']>;
}

/** The paper's layout: module.fc1.weight [d_sae, d_in], fc1.bias, fc2.weight [d_in, d_sae], fc2.bias. */
export function paperTorchSaeBytes(sae: RawSae, o: PaperTorchOptions = {}): Uint8Array {
  const p = o.modulePrefix === false ? '' : 'module.';
  const { dIn, dSae } = sae;
  const dtype = o.dtype;
  const lie = (name: string) => o.lies?.[name];
  const { pickle, storages } = torchStateDictPickle(
    [
      {
        name: `${p}fc1.weight`,
        shape: [dSae, dIn],
        data: transposeRaw(sae.W_enc, dIn, dSae),
        dtype,
        nonContiguous: o.nonContiguous,
        lie: lie('fc1.weight'),
      },
      { name: `${p}fc1.bias`, shape: [dSae], data: sae.b_enc, dtype, lie: lie('fc1.bias') },
      {
        name: `${p}fc2.weight`,
        shape: [dIn, dSae],
        data: transposeRaw(sae.W_dec, dSae, dIn),
        dtype,
        lie: lie('fc2.weight'),
      },
      { name: `${p}fc2.bias`, shape: [dIn], data: sae.b_dec, dtype, lie: lie('fc2.bias') },
    ],
    o.asParameter,
  );
  return torchZipBytes(pickle, storages, 'archive', { dataDescriptors: o.dataDescriptors });
}

export function writePaperTorchSae(path: string, sae: RawSae, o: PaperTorchOptions = {}): string {
  writeFileSync(path, paperTorchSaeBytes(sae, o));
  return path;
}

// ---------------------------------------------------------------- npz

/** `editHeader` rewrites the header dict's text (for bad-file tests) before it is padded. */
export function npyBytes(
  data: Float32Array,
  shape: number[],
  dtype: 'F32' | 'F16' = 'F32',
  editHeader?: (text: string) => string,
): Uint8Array {
  const descr = dtype === 'F32' ? '<f4' : '<f2';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (editHeader) header = editHeader(header);
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const body = encodeDtype(data, dtype);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

export interface GemmaScopeNpzOptions {
  deflate?: boolean;
  dtype?: 'F32' | 'F16';
  /** per array (w_enc, w_dec, b_enc, b_dec, threshold): rewrite its npy header text (bad-file tests) */
  headers?: Record<string, (text: string) => string>;
}

export function gemmaScopeNpzBytes(sae: RawSae, o: GemmaScopeNpzOptions = {}): Uint8Array {
  const { dIn, dSae } = sae;
  const npy = (name: string, data: Float32Array, shape: number[]) => npyBytes(data, shape, o.dtype, o.headers?.[name]);
  const files: Zippable = {
    'w_enc.npy': npy('w_enc', sae.W_enc, [dIn, dSae]),
    'w_dec.npy': npy('w_dec', sae.W_dec, [dSae, dIn]),
    'b_enc.npy': npy('b_enc', sae.b_enc, [dSae]),
    'b_dec.npy': npy('b_dec', sae.b_dec, [dIn]),
    'threshold.npy': npy('threshold', sae.threshold!, [dSae]),
  };
  return zipSync(files, { level: o.deflate ? 6 : 0 });
}

export function writeGemmaScopeNpz(path: string, sae: RawSae, o: GemmaScopeNpzOptions = {}): string {
  writeFileSync(path, gemmaScopeNpzBytes(sae, o));
  return path;
}

export function randomInputs(n: number, dIn: number, seed = 99, scale = 1): Float32Array {
  return randn(n * dIn, rng(seed), scale);
}
