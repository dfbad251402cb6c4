// delphi's sparse latent cache (EleutherAI/delphi, latents/cache.py save_splits): a folder of
// `<start>_<end>.safetensors` splits (end inclusive), each with `locations` [N, 3] = (batch, position,
// latent - start) as U16/U32/I64, `activations` [N] (F16/F32) and `tokens` [n_sequences, seq_len].
// Each sequence becomes a text document whose tokens are the token ids (delphi stores no strings);
// the splits are referenced as shards so mining reads the already-encoded features directly.
import fs from 'node:fs';
import path from 'node:path';
import { hashFile } from '../engine/formats/hashing';
import { INT_DTYPE_BYTES, type SafetensorsFile } from '../engine/formats/safetensors';
import type { Project } from '../project/project';
import { AppError, badFile } from '../util/errors';
import { toStoredPath } from '../project/references';
import { insertCorpus, insertDocument, insertShard } from '../store/corpora';
import { findSaeWidthByName, insertPrecomputedSae } from '../store/saes';
import type { ImportActivationsResult } from './activations-import';
import type { ImportProgress } from './import-progress';
import { openDelphiSplit, readDelphiSplit } from '../mining/delphi-reader';

const SPLIT = /^(\d+)_(\d+)\.safetensors$/;

export function readIntTensor(st: SafetensorsFile, name: string): Float64Array {
  const info = st.tensors.get(name);
  const file = path.basename(st.path);
  if (!info) throw badFile(file, name, 'a tensor with this name', `tensors ${[...st.tensors.keys()].join(', ')}`);
  const bytes = Buffer.alloc(info.byteLength);
  const fd = fs.openSync(st.path, 'r');
  try {
    fs.readSync(fd, bytes, 0, info.byteLength, info.fileOffset);
  } finally {
    fs.closeSync(fd);
  }
  const dtype = info.dtype as string;
  const width = INT_DTYPE_BYTES[dtype];
  if (!width) throw badFile(file, `${name}.dtype`, 'an integer dtype (U16, U32, I32, I64)', dtype);
  const n = info.byteLength / width;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    out[i] =
      dtype === 'U16'
        ? bytes.readUInt16LE(o)
        : dtype === 'I16'
          ? bytes.readInt16LE(o)
          : dtype === 'U32'
            ? bytes.readUInt32LE(o)
            : dtype === 'I32'
              ? bytes.readInt32LE(o)
              : dtype === 'U8'
                ? bytes[o]
                : dtype === 'I8'
                  ? bytes.readInt8(o)
                  : Number(dtype === 'I64' ? bytes.readBigInt64LE(o) : bytes.readBigUInt64LE(o));
  }
  return out;
}

/** Latents are Int32 in mining (the reader's chunks, the accumulators' feature ids). */
const MAX_LATENT = 2 ** 31 - 1;

/**
 * The tokens tensor is read whole and stored as one document per sequence, so its size is bounded
 * before a byte is read: a sparse file can declare any size honestly (issue 11's unbounded reads).
 * 2^27 tokens is over ten times delphi's default cache (10M tokens); 2^20 positions per sequence
 * keeps one document's token list far below the longest string JavaScript can hold.
 */
export const MAX_DELPHI_TOKENS = 2 ** 27;
export const MAX_DELPHI_SEQ_LEN = 2 ** 20;

interface Split {
  name: string;
  start: number;
  end: number;
}

/** The folder's splits in latent order; their ranges must not run backwards or overlap (a latent counted twice). */
function listSplits(folder: string): Split[] {
  const splits = fs
    .readdirSync(folder)
    .map((name) => ({ name, m: SPLIT.exec(name) }))
    .filter((s) => s.m)
    .map((s) => ({ name: s.name, start: Number(s.m![1]), end: Number(s.m![2]) }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  if (splits.length === 0)
    throw badFile(path.basename(folder), '(folder)', 'delphi splits named <start>_<end>.safetensors');
  splits.forEach((split, i) => {
    if (split.start > split.end)
      throw badFile(
        split.name,
        '(file name)',
        'start <= end (latents start … end, end inclusive)',
        `${split.start} > ${split.end}`,
      );
    if (split.end > MAX_LATENT) throw badFile(split.name, '(file name)', `latents below 2^31`, `${split.end}`);
    const previous = splits[i - 1];
    if (previous && split.start <= previous.end) {
      throw badFile(
        split.name,
        '(file name)',
        `latents starting after ${previous.end} (${previous.name} ends there)`,
        `${split.start}`,
      );
    }
  });
  return splits;
}

export async function importDelphiCache(
  project: Project,
  dir: string,
  corpusName?: string,
  saeName?: string,
  progress?: ImportProgress,
): Promise<ImportActivationsResult> {
  const folder = path.resolve(dir);
  const splits = listSplits(folder);
  const width = splits[splits.length - 1].end + 1;
  let tokens: Float64Array | undefined;
  let tokenShape: number[] = [];
  let tokensFrom = '';
  const shards: {
    file: string;
    split: Split;
    loc: { shape: number[] };
    act: { dtype: string };
    hash: { size: number; sha256: string };
  }[] = [];
  for (const [index, split] of splits.entries()) {
    progress?.(index, splits.length + 1, `checking and hashing ${split.name}`);
    const file = path.join(folder, split.name);
    const { st, locations: loc, activations: act, tokens: tok } = openDelphiSplit(file);
    if (!tok || tok.shape.length !== 2 || tok.shape[0] < 1 || tok.shape[1] < 1) {
      throw badFile(
        split.name,
        'tokens',
        'shape [n_sequences, seq_len], both at least 1 (cache saved with save_tokens)',
        tok ? `[${tok.shape.join(', ')}]` : 'missing',
      );
    }
    if (tok.shape[1] > MAX_DELPHI_SEQ_LEN || tok.shape[0] * tok.shape[1] > MAX_DELPHI_TOKENS) {
      throw badFile(
        split.name,
        'tokens',
        `shape [n_sequences, seq_len] with at most ${MAX_DELPHI_TOKENS} tokens and seq_len at most ${MAX_DELPHI_SEQ_LEN}`,
        `[${tok.shape.join(', ')}]`,
      );
    }
    const ids = readIntTensor(st, 'tokens');
    if (!tokens) (tokens = ids), (tokenShape = tok.shape), (tokensFrom = split.name);
    else if (tok.shape.join() !== tokenShape.join())
      throw badFile(
        split.name,
        'tokens',
        `shape [${tokenShape.join(', ')}] like the other splits`,
        `[${tok.shape.join(', ')}]`,
      );
    else if (ids.some((t, i) => t !== tokens![i]))
      throw badFile(split.name, 'tokens', `the same token ids as ${tokensFrom}`, 'other ids');
    // One streaming pass checks every location and activation (readDelphiSplit throws on the first bad one).
    for (const chunk of readDelphiSplit(file, {
      sequences: tokenShape[0],
      seqLen: tokenShape[1],
      latents: split.end - split.start + 1,
    }))
      void chunk;
    shards.push({ file, split, loc, act, hash: await hashFile(file) });
  }
  const [nSeq, seqLen] = tokenShape;
  const name = corpusName ?? path.basename(folder);
  progress?.(splits.length, splits.length + 1, 'writing the corpus');
  return project.db.transaction(() => {
    const sae = findSaeWidthByName(project.db, saeName ?? name);
    if (sae && sae.d_sae < width)
      throw new AppError(
        'invalid_input',
        `SAE "${saeName}" has d_sae ${sae.d_sae} but the cache's splits go up to latent ${width - 1}`,
      );
    if (!sae) {
      const config = { precomputed: true, files: [] };
      insertPrecomputedSae(project.db, {
        name: saeName ?? name,
        dSae: width,
        path: toStoredPath(project.dir, folder),
        config,
      });
    }
    const corpusId = insertCorpus(project.db, name, `delphi cache ${folder}`, {
      format: 'delphi',
      width,
      sequences: nSeq,
      seqLen,
    });
    const docIds: number[] = [];
    for (let b = 0; b < nSeq; b++) {
      const toks = Array.from(tokens!.subarray(b * seqLen, (b + 1) * seqLen), (t) => `#${t}`);
      docIds.push(
        insertDocument(project.db, corpusId, {
          externalId: `seq-${b}`,
          kind: 'text',
          text: null,
          tokens: toks,
          mediaSha256: null,
          meta: { delphiBatch: b },
        }),
      );
    }
    shards.forEach((s, i) =>
      insertShard(project, corpusId, {
        ordinal: i,
        kind: 'delphi',
        container: 'safetensors',
        path: s.file,
        size: s.hash.size,
        sha256: s.hash.sha256,
        dtype: s.act.dtype,
        shape: s.loc.shape,
        dataOffset: 0,
        rows: s.loc.shape[0],
        layout: {
          latentStart: s.split.start,
          latentEnd: s.split.end,
          firstDocumentId: docIds[0],
          sequences: nSeq,
          seqLen,
        },
      }),
    );
    return {
      corpusId,
      corpus: name,
      documents: nSeq,
      shards: shards.length,
      rows: nSeq * seqLen,
      contentRows: nSeq * seqLen,
    };
  })();
}
