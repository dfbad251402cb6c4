// One prefill of a capture session (a decoder built with captureLayers and captureReduce 'rows', no
// steer inputs): the residual stream at each captured layer for every real position of every
// document. A document is token ids, or its input embeddings [length, d_model] (LLaVA-NeXT: the text
// tokens' embeddings with the packed image features spliced in where `<image>` was), for a session
// built with input 'embeds'. Left-padded as transformers pads; padding rows never leave the graph.
import { AppError } from '../../util/errors.js';
import type { DecoderSession } from './decode.js';
import { ort } from '../session.js';

export type CaptureDocumentInput = { ids: readonly number[] } | { embeds: Float32Array; length: number };

const lengthOf = (d: CaptureDocumentInput) => ('ids' in d ? d.ids.length : d.length);

/** Per captured layer (ascending), [sum of lengths, d_model]: each document's positions in order. */
export async function captureRows(
  ds: DecoderSession,
  documents: readonly CaptureDocumentInput[],
): Promise<Float32Array[]> {
  const { session, model } = ds;
  const { dModel: D, nLayers, nKvHeads, headDim } = model.config;
  if (model.captureLayers.length === 0 || model.captureReduce !== 'rows' || model.steerLayers.length > 0)
    throw new AppError(
      'internal',
      'captureRows needs a session built with captureLayers, captureReduce rows, no steers',
    );
  if (model.input === 'mixed') throw new AppError('internal', 'captureRows takes a session built for ids or embeds');
  const B = documents.length;
  if (B === 0 || documents.some((d) => lengthOf(d) === 0))
    throw new AppError('invalid_input', 'every document needs at least one position');
  for (const d of documents) {
    const wanted = model.input === 'ids' ? 'ids' : 'embeds';
    if (!(wanted in d)) throw new AppError('internal', `this capture session takes ${wanted}`);
    if ('embeds' in d && d.embeds.length !== d.length * D)
      throw new AppError('internal', `embeds: expected ${d.length} × ${D} values, got ${d.embeds.length}`);
  }
  const S = Math.max(...documents.map(lengthOf));
  const padding = documents.map((d) => S - lengthOf(d));
  const mask = new BigInt64Array(B * S);
  const captureMask = new Float32Array(B * S);
  // Positions count each row's own tokens from 0, as transformers derives them under left padding.
  const positions = new BigInt64Array(B * S);
  for (let r = 0; r < B; r++) {
    for (let s = padding[r]; s < S; s++) {
      mask[r * S + s] = 1n;
      captureMask[r * S + s] = 1;
      positions[r * S + s] = BigInt(s - padding[r]);
    }
  }
  const feeds: Record<string, ort.Tensor> = {
    attention_mask: new ort.Tensor('int64', mask, [B, S]),
    position_ids: new ort.Tensor('int64', positions, [B, S]),
    capture_mask: new ort.Tensor('float32', captureMask, [B, S]),
  };
  if (model.input === 'ids') {
    const ids = new BigInt64Array(B * S);
    documents.forEach((d, r) => {
      if ('ids' in d) d.ids.forEach((id, s) => (ids[r * S + padding[r] + s] = BigInt(id)));
    });
    feeds.input_ids = new ort.Tensor('int64', ids, [B, S]);
  } else {
    const embeds = new Float32Array(B * S * D);
    documents.forEach((d, r) => {
      if ('embeds' in d) embeds.set(d.embeds, (r * S + padding[r]) * D);
    });
    feeds.inputs_embeds = new ort.Tensor('float32', embeds, [B, S, D]);
  }
  const empty = new Float32Array(0);
  for (let l = 0; l < nLayers; l++)
    for (const kind of ['key', 'value'])
      feeds[`past_${kind}_${l}`] = new ort.Tensor('float32', empty, [B, nKvHeads, 0, headDim]);
  const out = await session.run(feeds);
  // The graph emits rows in (batch row, position) order; callers cut them by length, so check it.
  const index = out.capture_index.data as BigInt64Array;
  let n = 0;
  for (let r = 0; r < B; r++) {
    for (let s = padding[r]; s < S; s++, n++)
      if (Number(index[2 * n]) !== r || Number(index[2 * n + 1]) !== s)
        throw new AppError(
          'internal',
          `capture: row ${n} is (${index[2 * n]}, ${index[2 * n + 1]}), expected (${r}, ${s})`,
        );
  }
  if (index.length !== 2 * n) throw new AppError('internal', `capture: ${index.length / 2} rows for ${n} positions`);
  // A copy each: ORT's output buffers may share one arena and cannot be transferred as they are.
  return model.captureLayers.map((L) => Float32Array.from(out[`hidden_${L}`].data as Float32Array));
}
