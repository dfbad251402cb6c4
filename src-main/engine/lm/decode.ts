// Driving the decoder graph (graph/lm-decoder.ts) from JS: a batch of prompts, left-padded, prefilled
// once and then extended one token per step with the KV cache; each row may carry its own steers
// (several k values of one prompt, or several prompts, in one batch). On CPU the cache round-trips
// through JS each step at no real cost; on CUDA every output crosses PCIe, which is why the worker
// decodes greedily there with the loop inside the graph (lm/decode-loop.ts chooseDecodeLoop).
//
// session.run blocks its thread: production callers run this inside the engine worker.
import { AppError } from '../../util/errors.js';
import { CLAMP_PARAM_COLUMNS, type DecoderModel } from '../graph/lm-decoder.js';
import { ort } from '../session.js';
import { checkSampling, chooseToken, rowRngs, type SamplingOptions } from './sampling.js';
import { clampParams } from './sae-clamp.js';
import { klFromLogits } from './strength.js';
import { isClamp, isProjection, isSteered, projectionBounds, type Steer, type SteerPositions } from './steering.js';

export interface DecoderSession {
  session: ort.InferenceSession;
  model: DecoderModel;
}

/**
 * A row's own embeddings for some of its prompt positions (LLaVA-NeXT: the packed image features
 * where `<image>` was expanded); every other position takes its token's row of the graph's table.
 */
export interface PromptEmbeds {
  /** [promptLength]: 1 where `values` replaces the token's embedding */
  at: Uint8Array;
  /** [promptLength, D]; rows where `at` is 0 are not read */
  values: Float32Array;
}

export interface DecodeRequest {
  prompts: readonly (readonly number[])[];
  /** per row, the steers applied to it (default none); every layer must be one the graph can steer */
  steers?: readonly (readonly Steer[])[];
  /**
   * Which positions of each row (prompt + generated, as steers count them) a graph built with
   * captureReduce 'mean' or 'rows' reduces its hidden_<L> over (input capture_mask); default all.
   * Each prefill or step reduces over its own positions; read them from lastOutputs.
   */
  capture?: SteerPositions;
  /** per row, embeddings for some prompt positions; only for a graph built with input 'mixed' */
  promptEmbeds?: readonly (PromptEmbeds | undefined)[];
}

/** One batch in flight: prefill, then step. Logits are [B, vocab] (the graph's last position). */
export class DecodeRun {
  private readonly batch: number;
  private readonly padding: number[];
  private readonly promptLengths: number[];
  private readonly steers: (readonly Steer[])[];
  private readonly prompts: number[][];
  private readonly capture: SteerPositions;
  private readonly promptEmbeds: readonly (PromptEmbeds | undefined)[];
  private mask: number[][] = [];
  private cacheLength = 0;
  private past: Record<string, ort.Tensor> = {};
  /** every output of the latest prefill or step (captured hidden_<L> included) */
  lastOutputs?: Record<string, ort.Tensor>;

  constructor(
    private readonly ds: DecoderSession,
    request: DecodeRequest,
  ) {
    const { model } = ds;
    if (model.input === 'embeds' || model.logits !== 'last')
      throw new AppError('internal', 'DecodeRun needs a decoder built with logits "last" that takes token ids');
    if (request.promptEmbeds?.some(Boolean) && model.input !== 'mixed')
      throw new AppError('internal', 'prompt embeddings need a decoder built with input "mixed"');
    this.batch = request.prompts.length;
    if (this.batch === 0 || request.prompts.some((p) => p.length === 0))
      throw new AppError('invalid_input', 'every prompt needs at least one token');
    this.promptLengths = request.prompts.map((p) => p.length);
    const longest = Math.max(...this.promptLengths);
    this.padding = this.promptLengths.map((n) => longest - n);
    this.steers = checkSteers(model, request);
    this.prompts = request.prompts.map((p, r) => [...Array(this.padding[r]).fill(0), ...p]);
    this.capture = request.capture ?? 'all';
    this.promptEmbeds = request.promptEmbeds ?? [];
    this.promptEmbeds.forEach((embeds, r) => {
      const n = this.promptLengths[r];
      if (embeds && (embeds.at.length !== n || embeds.values.length !== n * model.config.dModel))
        throw new AppError('internal', `row ${r}: prompt embeddings for ${n} positions expected`);
    });
  }

  /**
   * A 'mixed' graph's inputs_embeds and embeds_mask for cache columns [start, start + S), with the
   * ids there zeroed where embeddings replace them (an image token id may lie outside the table).
   * Steps past every prompt feed [1, 1] zeros, which broadcast.
   */
  private embedsFeeds(ids: number[][], start: number): Record<string, ort.Tensor> {
    const D = this.ds.model.config.dModel;
    const B = ids.length;
    const S = ids[0].length;
    const any = this.promptEmbeds.some((e, r) => e && start < this.padding[r] + this.promptLengths[r]);
    if (!any) {
      return {
        inputs_embeds: new ort.Tensor('float32', new Float32Array(D), [1, 1, D]),
        embeds_mask: new ort.Tensor('float32', new Float32Array(1), [1, 1]),
      };
    }
    const values = new Float32Array(B * S * D);
    const mask = new Float32Array(B * S);
    ids.forEach((row, r) => {
      const own = this.promptEmbeds[r];
      if (!own) return;
      for (let s = 0; s < S; s++) {
        const token = start + s - this.padding[r];
        if (token < 0 || token >= this.promptLengths[r] || !own.at[token]) continue;
        values.set(own.values.subarray(token * D, (token + 1) * D), (r * S + s) * D);
        mask[r * S + s] = 1;
        row[s] = 0;
      }
    });
    return {
      inputs_embeds: new ort.Tensor('float32', values, [B, S, D]),
      embeds_mask: new ort.Tensor('float32', mask, [B, S]),
    };
  }

  /** Run the (padded) prompts through the graph; logits for each row's last prompt token. */
  async prefill(): Promise<Float32Array> {
    const { nLayers, nKvHeads, headDim } = this.ds.model.config;
    const empty = new Float32Array(0);
    for (let l = 0; l < nLayers; l++) {
      for (const kind of ['key', 'value'])
        this.past[`past_${kind}_${l}`] = new ort.Tensor('float32', empty, [this.batch, nKvHeads, 0, headDim]);
    }
    this.mask = this.padding.map((pad, r) => this.prompts[r].map((_, j) => (j < pad ? 0 : 1)));
    return this.forward(this.prompts);
  }

  /** Append one token per row; logits for it. */
  async step(tokens: readonly number[]): Promise<Float32Array> {
    if (tokens.length !== this.batch)
      throw new AppError('internal', `step needs ${this.batch} tokens, got ${tokens.length}`);
    for (const row of this.mask) row.push(1);
    return this.forward(tokens.map((t) => [t]));
  }

  private async forward(ids: number[][]): Promise<Float32Array> {
    const { session, model } = this.ds;
    const B = this.batch;
    const S = ids[0].length;
    const T = this.cacheLength + S;
    const start = this.cacheLength;
    // Positions count each row's own tokens from 0, as transformers derives them from the attention
    // mask under left padding. (Rotary scores depend only on position differences, so a shift would
    // be exact in real arithmetic; counting as transformers does keeps the rounding the same too.)
    const positions = new BigInt64Array(B * S);
    for (let r = 0; r < B; r++) {
      for (let s = 0; s < S; s++) positions[r * S + s] = BigInt(Math.max(0, start + s - this.padding[r]));
    }
    // embedsFeeds zeroes ids it replaces, so it runs first, on a copy
    const tokenIds = ids.map((row) => [...row]);
    const feeds: Record<string, ort.Tensor> = {
      ...(model.input === 'mixed' ? this.embedsFeeds(tokenIds, start) : {}),
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokenIds.flat(), BigInt), [B, S]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(this.mask.flat(), BigInt), [B, T]),
      position_ids: new ort.Tensor('int64', positions, [B, S]),
      ...this.past,
    };
    const rows = { padding: this.padding, promptLengths: this.promptLengths };
    for (const L of model.steerLayers) {
      const positions = this.steers.map((rowSteers) => rowSteers.find((steer) => steer.layer === L)?.positions);
      const mask = positionsMask(positions, rows, start, S);
      Object.assign(feeds, steerFeeds(model, L, this.steers), {
        [`steer_mask_${L}`]: new ort.Tensor('float32', mask, [B, S]),
      });
    }
    if (model.inputNames.includes('capture_mask')) {
      feeds.capture_mask = new ort.Tensor(
        'float32',
        positionsMask(
          this.steers.map(() => this.capture),
          rows,
          start,
          S,
        ),
        [B, S],
      );
    }
    const out = await session.run(feeds);
    this.lastOutputs = out;
    for (let l = 0; l < model.config.nLayers; l++) {
      this.past[`past_key_${l}`] = out[`present_key_${l}`];
      this.past[`past_value_${l}`] = out[`present_value_${l}`];
    }
    this.cacheLength = T;
    return out.logits.data as Float32Array;
  }
}

/**
 * [B, S] float mask over cache columns [start, start + S) of a left-padded batch: 1 where that
 * column's token (index start + s - padding[r] of row r, prompt first) is in the row's positions
 * (undefined: none). Padding columns are never set.
 */
export function positionsMask(
  positions: readonly (SteerPositions | undefined)[],
  rows: { padding: readonly number[]; promptLengths: readonly number[] },
  start: number,
  S: number,
): Float32Array {
  const mask = new Float32Array(positions.length * S);
  positions.forEach((rowPositions, r) => {
    if (rowPositions === undefined) return;
    for (let s = 0; s < S; s++) {
      const token = start + s - rows.padding[r];
      if (token >= 0 && isSteered(rowPositions, token, rows.promptLengths[r])) mask[r * S + s] = 1;
    }
  });
  return mask;
}

/** Each row's steers (none when absent), refused unless the graph can apply them. */
export function checkSteers(
  model: Pick<DecoderModel, 'config' | 'projection' | 'clamp' | 'steerLayers'>,
  request: DecodeRequest,
): (readonly Steer[])[] {
  const steers = request.prompts.map((_, r) => request.steers?.[r] ?? []);
  for (const rowSteers of steers) {
    // The graph has one delta and one mask per layer and row.
    const layers = rowSteers.map((s) => s.layer);
    if (new Set(layers).size !== layers.length)
      throw new AppError('invalid_input', 'at most one steer per layer of a row');
  }
  for (const steer of steers.flat()) {
    if (!model.steerLayers.includes(steer.layer))
      throw new AppError(
        'invalid_input',
        `layer ${steer.layer} is not steerable in this graph (built for ${model.steerLayers.join(', ')})`,
      );
    for (const vector of steerVectors(steer, model)) {
      if (vector.length !== model.config.dModel)
        throw new AppError(
          'invalid_input',
          `steering vector has ${vector.length} values, expected d_model ${model.config.dModel}`,
        );
    }
  }
  return steers;
}

/** The vectors of a steer, each d_model long; refuses a method the graph has no inputs for. */
function steerVectors(steer: Steer, model: Pick<DecoderModel, 'projection' | 'clamp'>): ArrayLike<number>[] {
  if (isProjection(steer)) {
    if (!model.projection)
      throw new AppError('invalid_input', `method ${steer.method} needs a graph built with projection inputs`);
    projectionBounds(steer); // refuses a cap without a finite c before anything runs
    return [steer.direction];
  }
  if (isClamp(steer)) {
    if (!model.clamp) throw new AppError('invalid_input', 'method clamp needs a graph built with clamp inputs');
    if (!Number.isFinite(steer.value))
      throw new AppError(
        'invalid_input',
        `SAE clamp at layer ${steer.layer}: expected a finite value, got ${steer.value}`,
      );
    return [steer.feature.encoder, steer.feature.decoder];
  }
  return [steer.delta];
}

/**
 * Layer L's steering inputs other than its mask, one row per batch row (zeros where a row does not
 * steer L): the same for every step of a run, which is why the in-graph loop takes them once.
 */
export function steerFeeds(
  model: Pick<DecoderModel, 'config' | 'projection' | 'clamp'>,
  L: number,
  steers: readonly (readonly Steer[])[],
): Record<string, ort.Tensor> {
  const B = steers.length;
  const D = model.config.dModel;
  const C = CLAMP_PARAM_COLUMNS.length;
  const delta = new Float32Array(B * D);
  const dir = new Float32Array(B * D);
  const lo = new Float32Array(B);
  const hi = new Float32Array(B);
  const clampEnc = new Float32Array(B * D);
  const clampDec = new Float32Array(B * D);
  const clampParam = new Float32Array(B * C);
  steers.forEach((rowSteers, r) => {
    for (const steer of rowSteers) {
      if (steer.layer !== L) continue;
      if (isProjection(steer)) {
        dir.set(Array.from(steer.direction), r * D);
        [lo[r], hi[r]] = projectionBounds(steer);
      } else if (isClamp(steer)) {
        clampEnc.set(steer.feature.encoder, r * D);
        clampDec.set(steer.feature.decoder, r * D);
        clampParam.set(clampParams(steer.feature, steer.value), r * C);
      } else {
        delta.set(Array.from(steer.delta), r * D);
      }
    }
  });
  const feeds: Record<string, ort.Tensor> = { [`steer_delta_${L}`]: new ort.Tensor('float32', delta, [B, D]) };
  if (model.projection) {
    feeds[`steer_dir_${L}`] = new ort.Tensor('float32', dir, [B, D]);
    feeds[`steer_lo_${L}`] = new ort.Tensor('float32', lo, [B]);
    feeds[`steer_hi_${L}`] = new ort.Tensor('float32', hi, [B]);
  }
  if (model.clamp) {
    feeds[`steer_clamp_enc_${L}`] = new ort.Tensor('float32', clampEnc, [B, D]);
    feeds[`steer_clamp_dec_${L}`] = new ort.Tensor('float32', clampDec, [B, D]);
    feeds[`steer_clamp_param_${L}`] = new ort.Tensor('float32', clampParam, [B, C]);
  }
  return feeds;
}

export interface GreedyOptions extends DecodeRequest {
  /** exactly this many tokens per row (the paper: 100, no stop at EOS) unless stopAtEos */
  tokens: number;
  /** end a row at its first EOS (kept in the output); the batch runs until every row has ended */
  stopAtEos?: boolean;
}

/** Greedy decoding of a batch; one token list per prompt. */
export async function greedyDecode(ds: DecoderSession, options: GreedyOptions): Promise<number[][]> {
  return (await generate(ds, options)).tokens;
}

export interface GenerateOptions extends GreedyOptions {
  /** temperature / top-p with a seed; greedy when absent */
  sampling?: SamplingOptions;
  /**
   * Also measure each row's steering strength: KL(steered || unsteered) of its first generated
   * token's distribution (lm/strength.ts). The unsteered distribution comes from a row of the batch
   * with the same prompt and no steer (a sweep's k = 0 row) or, for prompts without one, from one
   * more prefill of those prompts unsteered.
   */
  strength?: boolean;
}

export interface Generation {
  /** one token list per prompt */
  tokens: number[][];
  /** with `strength`: per row, KL(steered || unsteered) in nats (0 for an unsteered row) */
  kl?: number[];
  /** with `strength`: per row, where its unsteered distribution came from */
  klBaseline?: ('self' | 'batch' | 'prefill')[];
}

/** One decoding step: the token each row chose, null for rows that had already ended. */
export interface DecodeStep {
  /** 0 for the first generated token */
  step: number;
  tokens: (number | null)[];
}

/**
 * Decode a batch, greedy or sampled; each row draws from its own PRNG seeded with the recorded seed.
 * `onStep` hears each step's tokens as they are chosen, so a caller (the engine worker, and through it
 * the CLI and the Steer page) can stream text while the batch is still running. `stopRequested` is
 * asked after each step: when it answers true the rows end there, with the tokens chosen so far (the
 * Steer page's Stop; the caller knows it asked).
 */
export async function generate(
  ds: DecoderSession,
  options: GenerateOptions,
  onStep?: (step: DecodeStep) => void,
  stopRequested?: () => boolean,
): Promise<Generation> {
  if (!Number.isInteger(options.tokens) || options.tokens < 0)
    throw new AppError('invalid_input', `tokens: expected a whole number >= 0, got ${options.tokens}`);
  const V = ds.model.config.vocabSize;
  const eos = new Set(ds.model.config.eosTokenIds);
  if (options.sampling) checkSampling(options.sampling);
  const run = new DecodeRun(ds, options);
  const rngs = options.sampling ? rowRngs(options.sampling, options.prompts.length) : [];
  const generated: number[][] = options.prompts.map(() => []);
  const done = options.prompts.map(() => false);
  if (options.tokens === 0) return { tokens: generated };
  let logits = await run.prefill();
  const strength = options.strength ? await measureStrength(ds, options, logits) : {};
  for (let step = 0; ; step++) {
    // A finished row's draw is dropped: each row's tokens depend only on its own stream, not on the batch.
    const next = generated.map((_, r) => chooseToken(logits, r * V, V, options.sampling, rngs[r]));
    const reported = next.map((token, r) => {
      if (done[r]) return null;
      generated[r].push(token);
      if (generated[r].length >= options.tokens || (options.stopAtEos && eos.has(token))) done[r] = true;
      return token;
    });
    onStep?.({ step, tokens: reported });
    if (done.every(Boolean) || stopRequested?.()) return { tokens: generated, ...strength };
    logits = await run.step(next);
  }
}

/**
 * The steering strength of each row (as `strength` in generate) from a prefill of its own: for a
 * decode that did not run through DecodeRun (the in-graph loop, lm/decode-loop.ts).
 */
export async function measureStrengthByPrefill(
  ds: DecoderSession,
  request: DecodeRequest,
): Promise<Required<Pick<Generation, 'kl' | 'klBaseline'>>> {
  const logits = await new DecodeRun(ds, request).prefill();
  return measureStrength(ds, request, logits);
}

async function measureStrength(
  ds: DecoderSession,
  request: DecodeRequest,
  logits: Float32Array,
): Promise<Required<Pick<Generation, 'kl' | 'klBaseline'>>> {
  const V = ds.model.config.vocabSize;
  const steers = request.prompts.map((_, r) => request.steers?.[r] ?? []);
  // Rows with the same ids but other image embeddings are other prompts.
  const embedsIds = new Map<PromptEmbeds, number>();
  const key = (prompt: readonly number[], r: number) => {
    const embeds = request.promptEmbeds?.[r];
    if (embeds && !embedsIds.has(embeds)) embedsIds.set(embeds, embedsIds.size);
    return `${prompt.join(',')}${embeds ? `#${embedsIds.get(embeds)}` : ''}`;
  };
  const plainRow = new Map<string, number>();
  request.prompts.forEach((p, r) => {
    if (steers[r].length === 0 && !plainRow.has(key(p, r))) plainRow.set(key(p, r), r);
  });
  const missing = [
    ...new Set(
      request.prompts.flatMap((p, r) => (steers[r].length > 0 && !plainRow.has(key(p, r)) ? [key(p, r)] : [])),
    ),
  ];
  let extra: Float32Array | undefined;
  if (missing.length > 0) {
    const rows = missing.map((k) => request.prompts.findIndex((p, r) => key(p, r) === k));
    extra = await new DecodeRun(ds, {
      prompts: rows.map((r) => request.prompts[r]),
      ...(request.promptEmbeds ? { promptEmbeds: rows.map((r) => request.promptEmbeds![r]) } : {}),
    }).prefill();
  }
  const kl: number[] = [];
  const klBaseline: ('self' | 'batch' | 'prefill')[] = [];
  request.prompts.forEach((p, r) => {
    if (steers[r].length === 0) {
      kl.push(0);
      klBaseline.push('self');
    } else if (plainRow.has(key(p, r))) {
      kl.push(klFromLogits(logits, r * V, logits, plainRow.get(key(p, r))! * V, V));
      klBaseline.push('batch');
    } else {
      kl.push(klFromLogits(logits, r * V, extra!, missing.indexOf(key(p, r)) * V, V));
      klBaseline.push('prefill');
    }
  });
  return { kl, klBaseline };
}
