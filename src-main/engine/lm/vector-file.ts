// A steering vector read from a file: a .npy array, a .safetensors file, or a torch.save .pt (through
// the restricted unpickler: nothing in it runs). d_model float values in all (shape [d] or [1, d]).
// A file with several tensors needs `key` to say which; one tensor is taken as is. Used by
// `generate --vector-file` and `sightline vector import`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { badFile } from '../../util/errors.js';
import { decodeFloats } from '../formats/dtype.js';
import { hashFile } from '../formats/hashing.js';
import { parseNpyHeader } from '../formats/npy.js';
import { openSafetensors, readSafetensor } from '../formats/safetensors.js';
import { openTorchCheckpoint } from '../formats/torch.js';

export type VectorFileFormat = 'pt' | 'safetensors' | 'npy';

export interface SteeringVectorFile {
  values: Float32Array;
  /** of the file as it is on disk */
  sha256: string;
  format: VectorFileFormat;
  /** the tensor taken from a file of several (null for .npy and a lone tensor) */
  key: string | null;
}

/** Picks the tensor named `key`, or the only one; refuses by name otherwise. */
function pickTensor(file: string, names: string[], key: string | undefined): string {
  if (key !== undefined) {
    if (!names.includes(key))
      throw badFile(
        file,
        key,
        `a tensor named "${key}" (--key)`,
        `none; the file holds ${names.slice(0, 10).join(', ') || 'no tensors'}`,
      );
    return key;
  }
  if (names.length !== 1)
    throw badFile(
      file,
      '(tensors)',
      'exactly one tensor, the steering vector (or --key NAME to pick one)',
      `${names.length} (${names.slice(0, 10).join(', ')})`,
    );
  return names[0];
}

/**
 * Reads the vector; with `dModel` the length must equal it (the model's d_model), without it any
 * length is taken (a vector imported before a model is chosen is checked when it is used).
 */
export async function readVectorFile(
  path: string,
  options: { dModel?: number; key?: string } = {},
): Promise<SteeringVectorFile> {
  const file = basename(path);
  let values: Float32Array;
  let shape: number[];
  let format: VectorFileFormat;
  let key: string | null = null;
  if (/\.npy$/i.test(path)) {
    if (options.key !== undefined) throw badFile(file, '--key', 'no --key: a .npy file holds one array', options.key);
    const bytes = readFileSync(path);
    const header = parseNpyHeader(bytes, file, 'array');
    if (header.dataOffset + header.dataLength > bytes.length)
      throw badFile(file, 'array', `${header.dataLength} bytes of data`, `${bytes.length - header.dataOffset}`);
    values = decodeFloats(bytes.subarray(header.dataOffset, header.dataOffset + header.dataLength), header.dtype);
    shape = header.shape;
    format = 'npy';
  } else if (/\.safetensors$/i.test(path)) {
    const st = openSafetensors(path);
    const names = [...st.tensors.keys()];
    const name = pickTensor(file, names, options.key);
    values = readSafetensor(st, name);
    shape = st.tensors.get(name)!.shape;
    format = 'safetensors';
    key = names.length > 1 ? name : null;
  } else if (/\.(pt|pth)$/i.test(path)) {
    const tensors = openTorchCheckpoint(path);
    // torch.save(v) of a bare tensor comes back under the name '' (see openTorchCheckpoint).
    const names = [...tensors.keys()];
    const name = pickTensor(file, names, options.key);
    const tensor = tensors.get(name)!;
    values = tensor.read();
    shape = tensor.shape;
    format = 'pt';
    key = name === '' ? null : name;
  } else {
    throw badFile(file, '(file)', 'a .pt, .safetensors or .npy steering vector', 'another extension');
  }
  const field = key ?? 'shape';
  const rows = shape.length === 1 ? 1 : shape.length === 2 ? shape[0] : -1;
  if (options.dModel !== undefined) {
    if (rows !== 1 || values.length !== options.dModel)
      throw badFile(
        file,
        field,
        `[${options.dModel}] or [1, ${options.dModel}] (the model's d_model)`,
        `[${shape.join(', ')}]`,
      );
  } else if (rows !== 1 || values.length === 0) {
    throw badFile(file, field, 'one vector: shape [d_model] or [1, d_model]', `[${shape.join(', ')}]`);
  }
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad !== -1) throw badFile(file, `value ${bad}`, 'a finite number', String(values[bad]));
  return { values, sha256: (await hashFile(path)).sha256, format, key };
}

/** `generate --vector-file`: the vector, its length checked against the model's d_model. */
export function readSteeringVector(path: string, dModel: number): Promise<SteeringVectorFile> {
  return readVectorFile(path, { dModel });
}
