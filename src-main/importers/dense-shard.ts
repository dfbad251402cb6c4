// Headers of dense activation shards: safetensors (one float tensor, or the one named) or .npy,
// shaped [n_rows, d_in]. Only the header is read here; rows are streamed at mining time.
import { closeSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { parseNpyHeader } from '../engine/formats/npy';
import { openSafetensors } from '../engine/formats/safetensors';
import { badFile } from '../util/errors';
import { openRegularFile, type FileRole } from '../util/regular-file';

export interface DenseShardHeader {
  container: 'safetensors' | 'npy';
  dtype: 'F32' | 'F16' | 'BF16';
  shape: [number, number];
  dataOffset: number;
}

/**
 * `role` names the field that points at the shard, for errors about the path itself (missing, not a
 * regular file); `field` names the shard's entry in the sidecar.
 */
export function readDenseShardHeader(
  path: string,
  tensor: string | undefined,
  role: FileRole,
  field: string,
): DenseShardHeader {
  const file = basename(path);
  const { fd, size } = openRegularFile(path, role);
  if (/\.npy$/i.test(path)) {
    const head = Buffer.alloc(Math.min(65536, size));
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const h = parseNpyHeader(head, file, 'array');
    if (h.shape.length !== 2) throw badFile(file, 'shape', '[n_tokens, d_in]', `[${h.shape.join(', ')}]`);
    if (h.dataOffset + h.dataLength > size)
      throw badFile(file, 'data', `${h.dataLength} bytes after the header`, `${size - h.dataOffset} (file truncated)`);
    return { container: 'npy', dtype: h.dtype, shape: [h.shape[0], h.shape[1]], dataOffset: h.dataOffset };
  }
  closeSync(fd);
  if (!/\.safetensors$/i.test(path)) throw badFile(file, field, 'a .safetensors or .npy shard');
  const st = openSafetensors(path);
  const names = [...st.tensors.keys()];
  const name = tensor ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined)
    throw badFile(file, `${field}.tensor`, `the tensor to read (the file holds ${names.join(', ')})`);
  const info = st.tensors.get(name);
  if (!info) throw badFile(file, name, 'a tensor with this name', `tensors ${names.join(', ')}`);
  if (info.shape.length !== 2) throw badFile(file, `${name}.shape`, '[n_tokens, d_in]', `[${info.shape.join(', ')}]`);
  return {
    container: 'safetensors',
    dtype: info.dtype,
    shape: [info.shape[0], info.shape[1]],
    dataOffset: info.fileOffset,
  };
}
