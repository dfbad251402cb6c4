// Headers of dense activation shards: safetensors (one float tensor, or the one named) or .npy,
// shaped [n_rows, d_in]. Only the header is read here; rows are streamed at mining time.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseNpyHeader } from '../engine/formats/npy';
import { openSafetensors } from '../engine/formats/safetensors';
import { badFile } from '../util/errors';

export interface DenseShardHeader {
  container: 'safetensors' | 'npy';
  dtype: 'F32' | 'F16' | 'BF16';
  shape: [number, number];
  dataOffset: number;
}

export function readDenseShardHeader(path: string, tensor: string | undefined, field: string): DenseShardHeader {
  const file = basename(path);
  if (/\.npy$/i.test(path)) {
    const fd = openSync(path, 'r');
    const head = Buffer.alloc(Math.min(65536, statSync(path).size));
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const h = parseNpyHeader(head, file, 'array');
    if (h.shape.length !== 2) throw badFile(file, 'shape', '[n_tokens, d_in]', `[${h.shape.join(', ')}]`);
    const size = statSync(path).size;
    if (h.dataOffset + h.dataLength > size) throw badFile(file, 'data', `${h.dataLength} bytes after the header`, `${size - h.dataOffset} (file truncated)`);
    return { container: 'npy', dtype: h.dtype, shape: [h.shape[0], h.shape[1]], dataOffset: h.dataOffset };
  }
  if (!/\.safetensors$/i.test(path)) throw badFile(file, field, 'a .safetensors or .npy shard');
  const st = openSafetensors(path);
  const names = [...st.tensors.keys()];
  const name = tensor ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) throw badFile(file, `${field}.tensor`, `the tensor to read (the file holds ${names.join(', ')})`);
  const info = st.tensors.get(name);
  if (!info) throw badFile(file, name, 'a tensor with this name', `tensors ${names.join(', ')}`);
  if (info.shape.length !== 2) throw badFile(file, `${name}.shape`, '[n_tokens, d_in]', `[${info.shape.join(', ')}]`);
  return { container: 'safetensors', dtype: info.dtype, shape: [info.shape[0], info.shape[1]], dataOffset: info.fileOffset };
}
