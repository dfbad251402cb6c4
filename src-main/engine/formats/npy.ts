// .npy header parsing (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// "\x93NUMPY", version, header length (u16 for v1, u32 for v2/v3), then a Python dict literal.
import { badFile } from '../../util/errors.js';
import type { FloatDtype } from './dtype.js';

export interface NpyHeader {
  dtype: FloatDtype;
  shape: number[];
  /** bytes from the start of the .npy to its data */
  dataOffset: number;
  dataLength: number;
}

const DESCR: Record<string, FloatDtype> = { '<f4': 'F32', '<f2': 'F16', '|f4': 'F32', '|f2': 'F16' };

export function parseNpyHeader(head: Uint8Array, file: string, field: string): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (head.length < 10 || magic.some((b, i) => head[i] !== b)) throw badFile(file, field, 'a .npy array (\\x93NUMPY magic)');
  const major = head[6];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLength > head.length) throw badFile(file, field, `a ${headerLength}-byte npy header`, 'truncated header');
  const text = new TextDecoder().decode(head.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !(descr in DESCR)) throw badFile(file, `${field} descr`, "'<f4' or '<f2'", JSON.stringify(descr));
  if (fortran !== 'False') throw badFile(file, `${field} fortran_order`, 'False (C order)', String(fortran));
  if (shapeText === undefined) throw badFile(file, `${field} shape`, 'a shape tuple', text);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw badFile(file, `${field} shape`, 'non-negative integers', shapeText);
  const dtype = DESCR[descr];
  const dataLength = shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2);
  return { dtype, shape, dataOffset: start + headerLength, dataLength };
}
