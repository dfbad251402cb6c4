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

const KEYS = ['descr', 'fortran_order', 'shape'] as const;
type Key = (typeof KEYS)[number];
const KEY_LIST = KEYS.map((k) => `'${k}'`).join(', ');
// One `'key': value` of the header dict: numpy's value kinds (a string, a bool, a tuple of ints),
// and a bare number so that an unknown key is reported as one.
const ENTRY = /\s*'([^']*)'\s*:\s*('[^']*'|True|False|\([^()]*\)|-?\d+)\s*(,|(?=\}))/y;

/**
 * The header dict, parsed strictly: numpy reads it with ast.literal_eval, so a key given twice means
 * its LAST value to numpy. Rather than imitate that, a repeated or unknown key is a bad_file: a header
 * that two readers could read two ways must not load at all (issue 11).
 */
function headerFields(text: string, file: string, field: string): Record<Key, string> {
  const where = `${field} header`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL padding after the dict is what this strips.
  const trimmed = text.replace(/[\s\u0000]+$/, '');
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}'))
    throw badFile(
      file,
      where,
      "a dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}",
      JSON.stringify(trimmed.slice(0, 80)),
    );
  const found: Partial<Record<Key, string>> = {};
  ENTRY.lastIndex = 1;
  while (ENTRY.lastIndex < trimmed.length - 1 && !/^\s*$/.test(trimmed.slice(ENTRY.lastIndex, -1))) {
    const at = ENTRY.lastIndex;
    const m = ENTRY.exec(trimmed);
    if (!m)
      throw badFile(
        file,
        where,
        "entries 'key': value",
        `${JSON.stringify(trimmed.slice(at, at + 40))} at character ${at}`,
      );
    const key = m[1] as Key;
    if (!(KEYS as readonly string[]).includes(key))
      throw badFile(file, where, `only the keys ${KEY_LIST}`, `'${m[1]}'`);
    if (found[key] !== undefined) throw badFile(file, where, `each of ${KEY_LIST} once`, `'${key}' twice`);
    found[key] = m[2];
  }
  for (const key of KEYS)
    if (found[key] === undefined) throw badFile(file, where, `the keys ${KEY_LIST}`, `no '${key}'`);
  return found as Record<Key, string>;
}

export function parseNpyHeader(head: Uint8Array, file: string, field: string): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (head.length < 10 || magic.some((b, i) => head[i] !== b))
    throw badFile(file, field, 'a .npy array (\\x93NUMPY magic)');
  const major = head[6];
  if (major < 1 || major > 3) throw badFile(file, `${field} version`, '1, 2 or 3', `${major}`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLength > head.length)
    throw badFile(file, field, `a ${headerLength}-byte npy header`, 'truncated header');
  const text = new TextDecoder().decode(head.subarray(start, start + headerLength));
  const fields = headerFields(text, file, field);
  const descr = /^'([^']*)'$/.exec(fields.descr)?.[1];
  if (descr === undefined || !(descr in DESCR)) throw badFile(file, `${field} descr`, "'<f4' or '<f2'", fields.descr);
  if (fields.fortran_order !== 'False')
    throw badFile(file, `${field} fortran_order`, 'False (C order)', fields.fortran_order);
  const shapeText = /^\(([^()]*)\)$/.exec(fields.shape)?.[1];
  if (shapeText === undefined) throw badFile(file, `${field} shape`, 'a shape tuple', fields.shape);
  const items = shapeText.split(',').map((s) => s.trim());
  // "(3,)" and "()" end in an empty item; any other empty item is a stray comma.
  if (items[items.length - 1] === '') items.pop();
  const shape = items.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (!shape.every((d) => Number.isSafeInteger(d)))
    throw badFile(file, `${field} shape`, 'non-negative integers below 2^53', fields.shape);
  const dtype = DESCR[descr];
  const bytesPer = dtype === 'F32' ? 4 : 2;
  const dataLength = shape.reduce((a, d) => a * BigInt(d), BigInt(bytesPer));
  if (dataLength > BigInt(Number.MAX_SAFE_INTEGER))
    throw badFile(file, `${field} shape`, 'an array of fewer than 2^53 bytes', fields.shape);
  return { dtype, shape, dataOffset: start + headerLength, dataLength: Number(dataLength) };
}
