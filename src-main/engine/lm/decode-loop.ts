// Greedy decoding with the loop inside the graph (graph/lm-loop.ts): one session.run per batch, the
// KV cache never crossing to host. Same request and same tokens as greedyDecode (lm/decode.ts), which
// stays the path for sampling, capture and CPU; this one is for CUDA, where the worker loop would copy
// the whole cache to host every token.
import { AppError } from '../../util/errors.js';
import type { LoopModel } from '../graph/lm-loop.js';
import { ort } from '../session.js';
import { checkSteers, positionsMask, steerFeeds, type GreedyOptions } from './decode.js';

/** Which loop decodes: the worker's (one session.run per token, lm/decode.ts) or the graph's (one per batch). */
export type DecodeLoop = 'graph' | 'worker';

/**
 * The in-graph loop on CUDA for greedy decoding, where the worker loop would copy the whole KV cache to
 * host every token. Everywhere else the worker loop: on CPU the copy costs nothing, and the worker loop
 * streams each token as it is chosen (the graph gives all N at the end) and also samples; the two give
 * identical greedy tokens (tests/lm/decode-loop.test.ts). `requested` forces one (tests, benchmarks).
 */
export function chooseDecodeLoop(options: {
  provider: 'cuda' | 'cpu';
  sampled: boolean;
  requested?: DecodeLoop | 'auto';
}): DecodeLoop {
  const { provider, sampled, requested = 'auto' } = options;
  if (requested === 'graph' && sampled)
    throw new AppError('invalid_input', 'the in-graph decode loop is greedy only; sampling runs in the worker loop');
  if (requested !== 'auto') return requested;
  return provider === 'cuda' && !sampled ? 'graph' : 'worker';
}

export interface LoopSession {
  session: ort.InferenceSession;
  model: LoopModel;
}

export async function loopGreedyDecode(ls: LoopSession, options: GreedyOptions): Promise<number[][]> {
  const { model, session } = ls;
  const B = options.prompts.length;
  if (B === 0 || options.prompts.some((p) => p.length === 0))
    throw new AppError('invalid_input', 'every prompt needs at least one token');
  if (options.tokens <= 0) return options.prompts.map(() => []);
  if (!Number.isInteger(options.tokens))
    throw new AppError('invalid_input', `tokens ${options.tokens}: expected a whole number`);
  const steers = checkSteers(model, options);
  const N = options.tokens;
  const promptLengths = options.prompts.map((p) => p.length);
  const S = Math.max(...promptLengths);
  const padding = promptLengths.map((n) => S - n);
  const rows = { padding, promptLengths };
  const ids = options.prompts.flatMap((p, r) => [...Array(padding[r]).fill(0), ...p]);
  const mask = padding.flatMap((pad) => Array.from({ length: S }, (_, j) => (j < pad ? 0n : 1n)));
  const positions = padding.flatMap((pad) => Array.from({ length: S }, (_, j) => BigInt(Math.max(0, j - pad))));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [B, S]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask), [B, S]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(positions), [B, S]),
    new_tokens: new ort.Tensor('int64', BigInt64Array.of(BigInt(N)), [1]),
  };
  for (const L of model.steerLayers) {
    const layerPositions = steers.map((rowSteers) => rowSteers.find((steer) => steer.layer === L)?.positions);
    Object.assign(feeds, steerFeeds(model, L, steers), {
      [`steer_mask_${L}`]: new ort.Tensor('float32', positionsMask(layerPositions, rows, 0, S), [B, S]),
      // Column t is generated token t, sequence index promptLength + t: cache column S + t.
      [`steer_gen_mask_${L}`]: new ort.Tensor('float32', positionsMask(layerPositions, rows, S, N), [B, N]),
    });
  }
  const out = (await session.run(feeds)).tokens;
  const flat = Array.from(out.data as BigInt64Array, Number);
  const eos = new Set(model.config.eosTokenIds);
  return options.prompts.map((_, r) => {
    const row = flat.slice(r * N, (r + 1) * N);
    if (!options.stopAtEos) return row;
    // Rows are independent, so cutting the exactly-N tokens at the first EOS is what stopping there gives.
    const end = row.findIndex((t) => eos.has(t));
    return end === -1 ? row : row.slice(0, end + 1);
  });
}
