// A steering vector read straight from a file (`generate --vector-file`): a .npy array or a
// .safetensors file holding one tensor, d_model float values in all (shape [d] or [1, d]). Named,
// imported vectors (`sightline vector import`) come later and will reuse this reader.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { badFile } from '../../util/errors.js';
import { decodeFloats } from '../formats/dtype.js';
import { hashFile } from '../formats/hashing.js';
import { parseNpyHeader } from '../formats/npy.js';
import { openSafetensors, readSafetensor } from '../formats/safetensors.js';

export interface SteeringVectorFile {
  values: Float32Array;
  sha256: string;
}

export async function readSteeringVector(path: string, dModel: number): Promise<SteeringVectorFile> {
  const file = basename(path);
  let values: Float32Array;
  let shape: number[];
  if (/\.npy$/i.test(path)) {
    const bytes = readFileSync(path);
    const header = parseNpyHeader(bytes, file, 'array');
    if (header.dataOffset + header.dataLength > bytes.length) throw badFile(file, 'array', `${header.dataLength} bytes of data`, `${bytes.length - header.dataOffset}`);
    values = decodeFloats(bytes.subarray(header.dataOffset, header.dataOffset + header.dataLength), header.dtype);
    shape = header.shape;
  } else if (/\.safetensors$/i.test(path)) {
    const st = openSafetensors(path);
    const names = [...st.tensors.keys()];
    if (names.length !== 1) throw badFile(file, '(tensors)', 'exactly one tensor, the steering vector', `${names.length} (${names.slice(0, 5).join(', ')})`);
    values = readSafetensor(st, names[0]);
    shape = st.tensors.get(names[0])!.shape;
  } else {
    throw badFile(file, '(file)', 'a .npy or .safetensors steering vector', 'another extension');
  }
  const rows = shape.length === 1 ? 1 : shape.length === 2 ? shape[0] : -1;
  if (rows !== 1 || values.length !== dModel) throw badFile(file, 'shape', `[${dModel}] or [1, ${dModel}] (the model's d_model)`, `[${shape.join(', ')}]`);
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad !== -1) throw badFile(file, `value ${bad}`, 'a finite number', String(values[bad]));
  return { values, sha256: (await hashFile(path)).sha256 };
}
