// Gemma Scope params.npz: a zip (stored or deflated) of .npy arrays w_enc [d_in, d_sae],
// w_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in], threshold [d_sae]. JumpReLU; Gemma Scope
// does not subtract b_dec from the input (SAELens loads it with apply_b_dec_to_input False).
import { basename } from 'node:path';
import { badFile } from '../../util/errors.js';
import { assertFinite, assertShape, type ExternalTensorRef, type SaeWeights } from '../sae-model.js';
import { decodeFloats } from './dtype.js';
import { parseNpyHeader, type NpyHeader } from './npy.js';
import type { LoadSaeOptions } from './options.js';
import { describeSources } from './sources.js';
import { openZip, peekStoredEntry, readEntry, type ZipArchive, type ZipEntry } from './zip.js';

interface NpzArray {
  header: NpyHeader;
  entry: ZipEntry;
  /** a deflated entry's checked bytes, kept from the header read so it is inflated once */
  inflated?: Uint8Array;
}

function arrays(zip: ZipArchive, file: string): Map<string, NpzArray> {
  const out = new Map<string, NpzArray>();
  for (const [name, entry] of zip.entries) {
    if (!name.endsWith('.npy')) continue;
    // A stored entry's header is peeked; its bytes are CRC-checked when the array is read whole.
    const inflated = entry.method === 0 ? undefined : readEntry(zip, entry);
    const head = inflated ? inflated.subarray(0, 4096) : peekStoredEntry(zip, entry, 4096);
    const header = parseNpyHeader(head, file, name);
    if (header.dataOffset + header.dataLength !== entry.uncompressedSize) {
      throw badFile(
        file,
        name,
        `${header.dataOffset + header.dataLength} bytes for shape [${header.shape.join(', ')}]`,
        `${entry.uncompressedSize}`,
      );
    }
    out.set(name.slice(0, -4), inflated ? { header, entry, inflated } : { header, entry });
  }
  return out;
}

export async function loadGemmaScopeNpz(path: string, options: LoadSaeOptions = {}): Promise<SaeWeights> {
  const file = basename(path);
  const zip = openZip(path);
  const found = arrays(zip, file);
  const get = (name: string) => {
    const a = found.get(name);
    if (!a)
      throw badFile(
        file,
        name,
        'an array with this name (w_enc, w_dec, b_enc, b_dec, threshold)',
        `arrays ${[...found.keys()].join(', ')}`,
      );
    return a;
  };
  const wEnc = get('w_enc');
  if (wEnc.header.shape.length !== 2)
    throw badFile(file, 'w_enc', 'a 2-d array [d_in, d_sae]', `${wEnc.header.shape.length}-d`);
  const [dIn, dSae] = wEnc.header.shape;
  const why = `w_enc is [${dIn}, ${dSae}]`;
  const read = (name: string, shape: number[]) => {
    const a = get(name);
    assertShape(file, name, a.header.shape, shape, why);
    const whole = a.inflated ?? readEntry(zip, a.entry);
    const bytes = whole.subarray(a.header.dataOffset, a.header.dataOffset + a.header.dataLength);
    const data = decodeFloats(bytes, a.header.dtype);
    assertFinite(file, name, data);
    return data;
  };
  const weights: SaeWeights = {
    architecture: 'jumprelu',
    dIn,
    dSae,
    W_enc: read('w_enc', [dIn, dSae]),
    b_enc: read('b_enc', [dSae]),
    W_dec: read('w_dec', [dSae, dIn]),
    b_dec: read('b_dec', [dIn]),
    threshold: read('threshold', [dSae]),
    applyBDecToInput: false,
    normalizeActivations: 'none',
    source: { format: 'gemmascope', files: await describeSources([path], options.skipHash) },
  };
  if (options.inputScale !== undefined) weights.inputScale = options.inputScale;
  if (wEnc.entry.method === 0 && wEnc.header.dtype === 'F32') {
    const ref: ExternalTensorRef = {
      path,
      offset: wEnc.entry.dataOffset + wEnc.header.dataOffset,
      length: wEnc.header.dataLength,
      layout: 'dIn_dSae',
    };
    weights.external = { W_enc: ref };
  }
  return weights;
}
