// Greedy decoding that reports each step's tokens as they are chosen, so a caller (the engine worker,
// and through it the CLI and the Steer page) can stream text while the batch is still running. Same
// loop and stopping rule as decode.ts's greedyDecode, which has no per-step hook.
import { AppError } from '../../util/errors.js';
import type { DecoderSession, GreedyOptions } from './decode.js';
import { DecodeRun } from './decode.js';
import { argmax } from './reference.js';

/** One decoding step: the token each row chose, null for rows that had already ended. */
export interface DecodeStep {
  /** 0 for the first generated token */
  step: number;
  tokens: (number | null)[];
}

/**
 * `stopRequested` is asked after each step: when it answers true the rows end there, with the tokens
 * chosen so far (the Steer page's Stop; the caller knows it asked).
 */
export async function streamGreedy(
  ds: DecoderSession,
  options: GreedyOptions,
  onStep?: (step: DecodeStep) => void,
  stopRequested?: () => boolean,
): Promise<number[][]> {
  if (!Number.isInteger(options.tokens) || options.tokens < 0)
    throw new AppError('invalid_input', `tokens: expected a whole number >= 0, got ${options.tokens}`);
  const V = ds.model.config.vocabSize;
  const eos = new Set(ds.model.config.eosTokenIds);
  const run = new DecodeRun(ds, options);
  const generated: number[][] = options.prompts.map(() => []);
  const done = options.prompts.map(() => false);
  if (options.tokens === 0) return generated;
  let logits = await run.prefill();
  for (let step = 0; ; step++) {
    const next = generated.map((_, r) => argmax(logits, r * V, V));
    const reported = next.map((token, r) => {
      if (done[r]) return null;
      generated[r].push(token);
      if (generated[r].length >= options.tokens || (options.stopAtEos && eos.has(token))) done[r] = true;
      return token;
    });
    onStep?.({ step, tokens: reported });
    if (done.every(Boolean) || stopRequested?.()) return generated;
    logits = await run.step(next);
  }
}
