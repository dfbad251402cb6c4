// PyTorch zip checkpoints (.pt/.pth/.pkl written by torch.save): <prefix>/data.pkl is a pickle whose
// tensors point (via persistent ids) at raw little-endian storages <prefix>/data/<key>. We read them
// with the restricted unpickler; nothing in the file is ever executed.
//
// Layout of the paper's SAEs: nn.Linear encoder/decoder, optionally under DataParallel's "module.":
//   fc1.weight [d_sae, d_in], fc1.bias [d_sae], fc2.weight [d_in, d_sae], fc2.bias [d_in]
// ReLU, no b_dec subtraction before encoding; the authors encoded sae(x*8)/8, hence options.inputScale.
import { basename } from 'node:path';
import { badFile } from '../../util/errors.js';
import { assertFinite, shapeText, transpose, type ExternalTensorRef, type SaeWeights } from '../sae-model.js';
import { DTYPE_BYTES, decodeFloats } from './dtype.js';
import type { LoadSaeOptions } from './options.js';
import { restrictedUnpickle, type PickledTensor } from './pickle.js';
import { describeSources } from './sources.js';
import { openZip, readEntry, type ZipArchive } from './zip.js';

export interface TorchTensor {
  name: string;
  shape: number[];
  read(): Float32Array;
  /** set when the tensor is contiguous F32 in a stored (uncompressed) zip entry */
  external?: Omit<ExternalTensorRef, 'layout'>;
}

function isContiguous(t: PickledTensor): boolean {
  let expected = 1;
  for (let i = t.size.length - 1; i >= 0; i--) {
    if (t.size[i] !== 1 && t.stride[i] !== expected) return false;
    expected *= t.size[i];
  }
  return true;
}

/** State dicts nest a few levels (optimizer state, submodules); deeper is a crafted pickle. */
const MAX_DICT_DEPTH = 64;

function collectTensors(
  file: string,
  value: unknown,
  prefix: string,
  out: Map<string, PickledTensor>,
  ancestors: Set<unknown> = new Set(),
): void {
  if (!(value instanceof Map)) return;
  ancestors.add(value);
  for (const [key, v] of value) {
    const name = prefix + String(key);
    if ((v as PickledTensor)?.kind === 'tensor') out.set(name, v as PickledTensor);
    else if (v instanceof Map) {
      if (ancestors.has(v))
        throw badFile(file, name, 'a dict of tensors (nested dicts allowed)', 'a dict that contains itself');
      if (ancestors.size >= MAX_DICT_DEPTH)
        throw badFile(file, name, `dicts nested at most ${MAX_DICT_DEPTH} deep`, 'deeper nesting');
      collectTensors(file, v, `${name}.`, out, ancestors);
    }
  }
  ancestors.delete(value);
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const listText = (values: unknown[]) => `[${values.map(String).join(', ')}]`;

/**
 * A pickled view must read only its own storage: sizes, strides and offset are non-negative
 * integers, one stride per dimension, no more elements than the storage holds (a stride-0 view
 * could otherwise declare terabytes), no element twice, and its last element inside the storage.
 * BigInt, because a lying file's products overflow doubles. Issue 11: a negative storage_offset
 * was accepted.
 */
function checkView(file: string, name: string, t: PickledTensor, storageNumel: number): void {
  if (!t.size.every(isCount)) throw badFile(file, `${name}.size`, 'integers >= 0', listText(t.size));
  if (t.stride.length !== t.size.length || !t.stride.every(isCount)) {
    throw badFile(
      file,
      `${name}.stride`,
      `${t.size.length} integers >= 0 (one per dimension of ${listText(t.size)})`,
      listText(t.stride),
    );
  }
  if (!isCount(t.storageOffset))
    throw badFile(file, `${name}.storage_offset`, 'an integer >= 0', String(t.storageOffset));
  const numel = t.size.reduce((a, d) => a * BigInt(d), 1n);
  if (numel > BigInt(storageNumel))
    throw badFile(file, name, `at most the ${storageNumel} elements of storage ${t.storage.key}`, `a view of ${numel}`);
  if (numel === 0n) return;
  // No two elements may share storage (torch's non-overlapping test: sorted by stride, each stride
  // clears everything inside it). nn.Linear weights are never expanded or overlapping views, and
  // such a view would load numbers the file never stored as weights.
  let inner = 1n;
  for (const [d, stride] of t.size
    .map((d, i) => [d, t.stride[i]])
    .filter(([d]) => d > 1)
    .sort((a, b) => a[1] - b[1])) {
    if (BigInt(stride) < inner)
      throw badFile(
        file,
        `${name}.stride`,
        'strides under which no two elements share storage (no expanded or overlapping views)',
        listText(t.stride),
      );
    inner += BigInt(d - 1) * BigInt(stride);
  }
  const reach = t.size.reduce((acc, d, i) => acc + BigInt(d - 1) * BigInt(t.stride[i]), BigInt(t.storageOffset) + 1n);
  if (reach > BigInt(storageNumel)) {
    throw badFile(
      file,
      name,
      `a view within storage ${t.storage.key} (${storageNumel} elements)`,
      `one that reaches element ${reach}`,
    );
  }
}

/** Open a torch zip checkpoint and list its tensors (flattened names, nested dicts joined by "."). */
export function openTorchCheckpoint(path: string): Map<string, TorchTensor> {
  const file = basename(path);
  const zip: ZipArchive = openZip(path);
  const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw badFile(file, 'data.pkl', "a torch.save zip with '<name>/data.pkl'", 'no data.pkl entry');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const root = restrictedUnpickle(readEntry(zip, zip.entries.get(pkl)!), file);
  const pickled = new Map<string, PickledTensor>();
  // torch.save(v) of one bare tensor (a steering vector) pickles the tensor itself, not a dict:
  // it comes back as the only tensor, named ''.
  if ((root as PickledTensor)?.kind === 'tensor') pickled.set('', root as PickledTensor);
  else collectTensors(file, root, '', pickled);
  const tensors = new Map<string, TorchTensor>();
  for (const [name, t] of pickled) {
    const entryName = `${prefix}data/${t.storage.key}`;
    const entry = zip.entries.get(entryName);
    if (!entry) throw badFile(file, name, `storage entry ${entryName}`, 'missing');
    const bytesPer = DTYPE_BYTES[t.storage.dtype];
    const storageNumel = t.storage.numel;
    if (!isCount(storageNumel))
      throw badFile(file, `${name} storage ${t.storage.key} numel`, 'an integer >= 0', String(storageNumel));
    if (storageNumel * bytesPer !== entry.uncompressedSize) {
      throw badFile(
        file,
        entryName,
        `${storageNumel * bytesPer} bytes (${storageNumel} ${t.storage.dtype} elements, as the pickle says)`,
        `${entry.uncompressedSize}`,
      );
    }
    checkView(file, name, t, storageNumel);
    const numel = t.size.reduce((a, b) => a * b, 1);
    const span = numel === 0 ? 0 : 1 + t.size.reduce((acc, d, i) => acc + (d - 1) * t.stride[i], 0);
    const contiguous = isContiguous(t);
    const tensor: TorchTensor = {
      name,
      shape: t.size,
      read: () => {
        // The whole storage, so its CRC-32 is checked; then the view's elements.
        const storage = readEntry(zip, entry);
        const raw = decodeFloats(
          storage.subarray(t.storageOffset * bytesPer, (t.storageOffset + span) * bytesPer),
          t.storage.dtype,
        );
        const data = contiguous ? raw : gather(raw, t.size, t.stride);
        assertFinite(file, name, data);
        return data;
      },
    };
    if (contiguous && entry.method === 0 && t.storage.dtype === 'F32') {
      tensor.external = { path, offset: entry.dataOffset + t.storageOffset * 4, length: numel * 4 };
    }
    tensors.set(name, tensor);
  }
  return tensors;
}

/** Materialise a strided view (relative to its storage offset) as a row-major array. */
function gather(raw: Float32Array, size: number[], stride: number[]): Float32Array {
  const out = new Float32Array(size.reduce((a, b) => a * b, 1));
  const index = new Array(size.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < size.length; d++) src += index[d] * stride[d];
    out[i] = raw[src];
    for (let d = size.length - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

export async function loadTorchSae(path: string, options: LoadSaeOptions = {}): Promise<SaeWeights> {
  const file = basename(path);
  const all = openTorchCheckpoint(path);
  const tensors = new Map<string, TorchTensor>();
  for (const [name, t] of all) {
    const bare = name.replace(/^module\./, '');
    // Both "fc1.bias" and "module.fc1.bias": which one the encoder would use is a guess; refuse it.
    if (tensors.has(bare))
      throw badFile(file, name, `one tensor named ${bare} (with or without DataParallel's "module." prefix)`, 'two');
    tensors.set(bare, t);
  }
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t)
      throw badFile(
        file,
        name,
        'a tensor with this name (fc1/fc2 layout, optional "module." prefix)',
        `tensors ${[...tensors.keys()].join(', ')}`,
      );
    return t;
  };
  const b1 = get('fc1.bias');
  const b2 = get('fc2.bias');
  const w1 = get('fc1.weight');
  const w2 = get('fc2.weight');
  if (b1.shape.length !== 1 || b2.shape.length !== 1) {
    throw badFile(
      file,
      'fc1.bias/fc2.bias',
      'vectors [d_sae] and [d_in]',
      `${shapeText(b1.shape)} and ${shapeText(b2.shape)}`,
    );
  }
  const dSae = b1.shape[0];
  const dIn = b2.shape[0];
  // nn.Linear stores weight as [out, in]; orient by shape, falling back to that convention when square.
  const orient = (t: TorchTensor, linear: [number, number]) => {
    const [a, b] = t.shape;
    if (t.shape.length === 2 && a === linear[0] && b === linear[1]) return 'linear' as const;
    if (t.shape.length === 2 && a === linear[1] && b === linear[0]) return 'transposed' as const;
    throw badFile(
      file,
      t.name,
      `shape ${shapeText(linear)} (d_sae ${dSae} from fc1.bias, d_in ${dIn} from fc2.bias)`,
      shapeText(t.shape),
    );
  };
  const encOrient = orient(w1, [dSae, dIn]);
  const encRaw = w1.read();
  const W_enc = encOrient === 'linear' ? transpose(encRaw, dSae, dIn) : encRaw;
  const decOrient = orient(w2, [dIn, dSae]);
  const decRaw = w2.read();
  const W_dec = decOrient === 'linear' ? transpose(decRaw, dIn, dSae) : decRaw;
  const weights: SaeWeights = {
    architecture: 'relu',
    dIn,
    dSae,
    W_enc,
    b_enc: b1.read(),
    W_dec,
    b_dec: b2.read(),
    applyBDecToInput: false,
    normalizeActivations: 'none',
    source: { format: 'torch', files: await describeSources([path], options.skipHash) },
  };
  if (options.inputScale !== undefined) weights.inputScale = options.inputScale;
  if (w1.external)
    weights.external = { W_enc: { ...w1.external, layout: encOrient === 'linear' ? 'dSae_dIn' : 'dIn_dSae' } };
  return weights;
}
