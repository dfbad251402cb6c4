// Per-feature statistics updated batch by batch in one pass, in typed arrays whose size depends on
// d_sae and the settings only, never on the corpus:
// - exact fire counts, split by image patches and text tokens, and the max. The engine returns each
//   token's top K firings; for ReLU, JumpReLU and gated SAEs a token can fire more, so the engine
//   also counts every firing in the graph (EncodeBatchResult.counts) and those counts are used. The
//   max, the histogram, the samples and the top documents see each token's top K firings; `atK`
//   counts the tokens whose K-th value was still positive (they may have fired more than K features);
// - a histogram of HIST_BINS equal-width bins over [0, HIST_BINS * width], where width is a power of
//   two that doubles (adjacent bins merge pairwise) whenever a larger value arrives. Merging is
//   exact, and the final width is the smallest power of two whose range holds the max, so the result
//   does not depend on the order rows arrive in;
// - per histogram bin, a bottom-k sample (the RESERVOIR firings with the smallest hash keys): uniform
//   within the bin, mergeable when bins merge, and reproducible across batch sizes and resumes because
//   keys hash (feature, token number) instead of drawing from a stateful RNG;
// - per feature, a min-heap of the `top` documents keyed by each document's max activation.
import { ROW_IMAGE, ROW_TEXT } from './layout';

export const HIST_BINS = 32;
export const RESERVOIR = 4;
/** The checkpoint layout (arrays() below): bumped whenever it changes, so an old checkpoint is not resumed. */
export const ACCUMULATOR_LAYOUT = 2;

/** A well-mixed 32-bit key for (feature, token number): murmur3's finaliser. */
export function sampleKey(feature: number, token: number): number {
  let h = Math.imul(feature, 0x9e3779b1) ^ Math.imul(token, 0x85ebca6b) ^ Math.imul(token / 4294967296, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface RowInfo {
  /** documents.id per row */
  doc: Int32Array;
  kind: Uint8Array;
  /**
   * each row's number in the whole corpus's content rows, when the pass skips some (`mine --shard`):
   * the sample keys then match an unsharded pass's, so merged shards keep the same samples
   */
  token?: Float64Array;
}

export class FeatureAccumulators {
  tokens = 0;
  imageTokens = 0;
  textTokens = 0;
  /** tokens whose K-th largest activation was still > 0 (they may fire more than K features) */
  atK = 0;
  readonly fires: Float64Array;
  readonly imageFires: Float64Array;
  readonly textFires: Float64Array;
  readonly max: Float32Array;
  /** histogram bin width per feature (a power of two); 0 before the first firing */
  readonly width: Float64Array;
  readonly hist: Float64Array;
  readonly resDoc: Int32Array;
  readonly resVal: Float32Array;
  readonly resKey: Uint32Array;
  readonly topDoc: Int32Array;
  readonly topVal: Float32Array;
  readonly topSize: Uint16Array;

  constructor(
    readonly dSae: number,
    readonly top: number,
  ) {
    this.fires = new Float64Array(dSae);
    this.imageFires = new Float64Array(dSae);
    this.textFires = new Float64Array(dSae);
    this.max = new Float32Array(dSae);
    this.width = new Float64Array(dSae);
    this.hist = new Float64Array(dSae * HIST_BINS);
    this.resDoc = new Int32Array(dSae * HIST_BINS * RESERVOIR).fill(-1);
    this.resVal = new Float32Array(dSae * HIST_BINS * RESERVOIR);
    this.resKey = new Uint32Array(dSae * HIST_BINS * RESERVOIR);
    this.topDoc = new Int32Array(dSae * top).fill(-1);
    this.topVal = new Float32Array(dSae * top);
    this.topSize = new Uint16Array(dSae);
  }

  /**
   * One encoded batch: `values`/`indices` are [n, k] (largest first, zeros at the tail), for content
   * rows only (special rows never reach the encoder). `firstToken` numbers the batch's first row in
   * the whole pass, for the sample keys. `counts` ([2, d_sae]: all rows, image rows), when the engine
   * gives them, are every firing of the batch and replace counting the top-k lists.
   */
  addBatch(
    values: Float32Array,
    indices: Int32Array,
    n: number,
    k: number,
    rows: RowInfo,
    firstToken: number,
    counts?: Float32Array,
  ): void {
    const counted = counts !== undefined;
    if (counts) {
      const d = this.dSae;
      for (let f = 0; f < d; f++) {
        const all = counts[f];
        if (all === 0) continue;
        const image = counts[d + f];
        this.fires[f] += all;
        this.imageFires[f] += image;
        this.textFires[f] += all - image;
      }
    }
    for (let r = 0; r < n; r++) {
      const kind = rows.kind[r];
      const doc = rows.doc[r];
      const image = kind === ROW_IMAGE;
      this.tokens++;
      if (image) this.imageTokens++;
      else if (kind === ROW_TEXT) this.textTokens++;
      if (k > 0 && values[r * k + k - 1] > 0) this.atK++;
      const token = rows.token ? rows.token[r] : firstToken + r;
      for (let j = r * k, end = j + k; j < end; j++) {
        const v = values[j];
        if (!(v > 0)) break; // sorted descending: the rest are zero
        this.addFiring(indices[j], v, doc, image, token, counted);
      }
    }
  }

  /** One firing; `counted`: the fire counts already include it (the engine counted the batch). */
  addFiring(f: number, v: number, doc: number, image: boolean, token: number, counted = false): void {
    if (!counted) {
      this.fires[f]++;
      if (image) this.imageFires[f]++;
      else this.textFires[f]++;
    }
    if (v > this.max[f]) this.max[f] = v;
    let w = this.width[f];
    if (w === 0) w = this.width[f] = 2 ** Math.ceil(Math.log2(v / HIST_BINS));
    while (v > w * HIST_BINS) w = this.mergeBins(f);
    const bin = Math.min(HIST_BINS - 1, Math.floor(v / w));
    this.hist[f * HIST_BINS + bin]++;
    this.offerSample(f * HIST_BINS + bin, doc, v, sampleKey(f, token));
    this.offerTop(f, doc, v);
  }

  /** Double feature f's bin width: bins 2i and 2i+1 become bin i, their samples merge. */
  private mergeBins(f: number): number {
    const h = f * HIST_BINS;
    for (let b = 0; b < HIST_BINS / 2; b++) {
      this.hist[h + b] = this.hist[h + 2 * b] + this.hist[h + 2 * b + 1];
      this.mergeSamples(h + b, h + 2 * b, h + 2 * b + 1);
    }
    for (let b = HIST_BINS / 2; b < HIST_BINS; b++) {
      this.hist[h + b] = 0;
      const s = (h + b) * RESERVOIR;
      this.resDoc.fill(-1, s, s + RESERVOIR);
    }
    return (this.width[f] *= 2);
  }

  private mergeSamples(into: number, a: number, b: number): void {
    const docs: number[] = [];
    const vals: number[] = [];
    const keys: number[] = [];
    for (const src of [a, b]) {
      for (let i = src * RESERVOIR; i < (src + 1) * RESERVOIR; i++) {
        if (this.resDoc[i] < 0) continue;
        docs.push(this.resDoc[i]), vals.push(this.resVal[i]), keys.push(this.resKey[i]);
      }
    }
    const order = keys.map((_, i) => i).sort((x, y) => keys[x] - keys[y]);
    for (let i = 0; i < RESERVOIR; i++) {
      const slot = into * RESERVOIR + i;
      const o = order[i];
      if (o === undefined) this.resDoc[slot] = -1;
      else (this.resDoc[slot] = docs[o]), (this.resVal[slot] = vals[o]), (this.resKey[slot] = keys[o]);
    }
  }

  private offerSample(bin: number, doc: number, v: number, key: number): void {
    const base = bin * RESERVOIR;
    let worst = base;
    for (let i = base; i < base + RESERVOIR; i++) {
      if (this.resDoc[i] < 0) {
        worst = i;
        break;
      }
      if (this.resKey[i] > this.resKey[worst]) worst = i;
    }
    if (this.resDoc[worst] >= 0 && key >= this.resKey[worst]) return;
    this.resDoc[worst] = doc;
    this.resVal[worst] = v;
    this.resKey[worst] = key;
  }

  /** Min-heap per feature (root = weakest kept document); a document appears once, with its max. */
  private offerTop(f: number, doc: number, v: number): void {
    const base = f * this.top;
    const size = this.topSize[f];
    if (size === this.top && v <= this.topVal[base]) return;
    for (let i = 0; i < size; i++) {
      if (this.topDoc[base + i] === doc) {
        if (v > this.topVal[base + i]) (this.topVal[base + i] = v), this.siftDown(base, size, i);
        return;
      }
    }
    if (size < this.top) {
      let i = size;
      this.topSize[f] = size + 1;
      // sift up
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.topVal[base + parent] <= v) break;
        this.topVal[base + i] = this.topVal[base + parent];
        this.topDoc[base + i] = this.topDoc[base + parent];
        i = parent;
      }
      this.topVal[base + i] = v;
      this.topDoc[base + i] = doc;
      return;
    }
    this.topVal[base] = v;
    this.topDoc[base] = doc;
    this.siftDown(base, size, 0);
  }

  private siftDown(base: number, size: number, start: number): void {
    let i = start;
    const v = this.topVal[base + i];
    const d = this.topDoc[base + i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const c = l + 1 < size && this.topVal[base + l + 1] < this.topVal[base + l] ? l + 1 : l;
      if (this.topVal[base + c] >= v) break;
      this.topVal[base + i] = this.topVal[base + c];
      this.topDoc[base + i] = this.topDoc[base + c];
      i = c;
    }
    this.topVal[base + i] = v;
    this.topDoc[base + i] = d;
  }

  /**
   * Adds another pass's accumulators (another shard's documents) to these, exactly: counts add, the
   * max is the larger, the finer histogram of the two is coarsened (adjacent bins merge pairwise, as
   * when a larger value arrives) to the wider power-of-two width, which is the one a single pass over
   * both would have reached (the smallest whose range holds the max); each bin keeps the RESERVOIR
   * smallest keys of both samples; the top documents are the best of both (a document is in one
   * shard only, so none appears twice). `other` is coarsened in place: do not use it afterwards.
   */
  mergeFrom(other: FeatureAccumulators): void {
    if (other.dSae !== this.dSae || other.top !== this.top)
      throw new Error(`merge: d_sae ${other.dSae}, top ${other.top} into d_sae ${this.dSae}, top ${this.top}`);
    this.tokens += other.tokens;
    this.imageTokens += other.imageTokens;
    this.textTokens += other.textTokens;
    this.atK += other.atK;
    for (let f = 0; f < this.dSae; f++) {
      this.fires[f] += other.fires[f];
      this.imageFires[f] += other.imageFires[f];
      this.textFires[f] += other.textFires[f];
      if (other.max[f] > this.max[f]) this.max[f] = other.max[f];
      if (other.width[f] > 0) {
        if (this.width[f] === 0) this.width[f] = other.width[f];
        while (this.width[f] < other.width[f]) this.mergeBins(f);
        while (other.width[f] < this.width[f]) other.mergeBins(f);
        for (let b = f * HIST_BINS; b < (f + 1) * HIST_BINS; b++) {
          this.hist[b] += other.hist[b];
          for (let i = b * RESERVOIR; i < (b + 1) * RESERVOIR; i++)
            if (other.resDoc[i] >= 0) this.offerSample(b, other.resDoc[i], other.resVal[i], other.resKey[i]);
        }
      }
      // Strongest first, so a tie at the cut keeps the earlier document, as one pass in corpus order does.
      const slots = Array.from({ length: other.topSize[f] }, (_, j) => f * other.top + j);
      slots.sort((a, b) => other.topVal[b] - other.topVal[a] || other.topDoc[a] - other.topDoc[b]);
      for (const i of slots) this.offerTop(f, other.topDoc[i], other.topVal[i]);
    }
  }

  /** Every array, in a fixed order, for a checkpoint file. */
  arrays(): ArrayBufferView[] {
    const counters = Float64Array.of(this.tokens, this.imageTokens, this.textTokens, this.atK);
    return [
      counters,
      this.fires,
      this.imageFires,
      this.textFires,
      this.max,
      this.width,
      this.hist,
      this.resDoc,
      this.resVal,
      this.resKey,
      this.topDoc,
      this.topVal,
      this.topSize,
    ];
  }

  static restore(dSae: number, top: number, blob: Buffer): FeatureAccumulators {
    const acc = new FeatureAccumulators(dSae, top);
    const targets = acc.arrays();
    const expected = targets.reduce((n, a) => n + a.byteLength, 0);
    if (blob.byteLength !== expected)
      throw new Error(`checkpoint: expected ${expected} bytes for d_sae ${dSae}, top ${top}; found ${blob.byteLength}`);
    let offset = 0;
    for (const t of targets) {
      new Uint8Array(t.buffer, t.byteOffset, t.byteLength).set(blob.subarray(offset, offset + t.byteLength));
      offset += t.byteLength;
    }
    const counters = targets[0] as Float64Array;
    [acc.tokens, acc.imageTokens, acc.textTokens, acc.atK] = [counters[0], counters[1], counters[2], counters[3]];
    return acc;
  }
}
